import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';

import { eventually } from '@evently/testing';

import { freePort, startApiProcess } from '../support/processes';
import { startTestWorker } from '../support/test-app';
import { withEnv } from '../support/with-env';

const run = promisify(execFile);

/** `node tools/docker-healthcheck.mjs <app>`, as the app's image HEALTHCHECK runs it: its exit code. */
async function healthcheck(app: string, env: Record<string, string | undefined>, cwd = process.cwd()): Promise<number> {
  return (await healthcheckRun(app, env, cwd)).code;
}

/** The same, with what it printed to stderr, which Docker keeps for `docker inspect`. */
async function healthcheckRun(app: string, env: Record<string, string | undefined>, cwd = process.cwd()) {
  try {
    const { stderr } = await run(process.execPath, [resolve('tools/docker-healthcheck.mjs'), app], {
      cwd,
      env: { ...process.env, ...env },
      timeout: 15_000,
    });
    return { code: 0, stderr };
  } catch (error) {
    return error as { code: number; stderr: string };
  }
}

function workerCheck(prefix: string): Promise<number> {
  return healthcheck('worker', { REDIS_PREFIX: prefix });
}

/**
 * The check finds its container's worker by the host name in the workers' connection names, not by the address
 * Redis sees (NAT or a proxy shows Redis another one; Redis's protected mode lets no other loopback address in, so
 * that case cannot be staged here): a worker of another host, seen at this host's address, does not count.
 */
describe('docker healthcheck: worker', () => {
  const prefix = `${process.env.REDIS_PREFIX}-healthcheck`;
  let worker: INestApplicationContext | undefined;

  afterAll(async () => {
    await worker?.close();
  });

  it('is unhealthy while no worker of this host is connected, even with one of another host', async () => {
    const bookingsQueue = `${prefix}:bull:${Buffer.from('bookings').toString('base64')}`;
    // Compose names replicas evently-worker-1, evently-worker-10, ...: a host whose name starts with this one's.
    const foreign = ['elsewhere', `${hostname()}0`].map(
      (host) => new Redis(process.env.REDIS_URL ?? '', { connectionName: `${bookingsQueue}:w:${host}:1` }),
    );
    try {
      await Promise.all(foreign.map((connection) => connection.ping()));
      const check = await healthcheckRun('worker', { REDIS_PREFIX: prefix });
      expect({ code: check.code, stderr: check.stderr }).toEqual({
        code: 1,
        stderr: `unhealthy: no worker of ${hostname()} is connected to Redis under REDIS_PREFIX ${prefix}\n`,
      });
    } finally {
      for (const connection of foreign) connection.disconnect();
    }
  });

  it('is unhealthy when Redis cannot be reached', async () => {
    expect(
      await healthcheck('worker', { REDIS_PREFIX: prefix, REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` }),
    ).toBe(1);
  });

  it('is healthy once a worker of this host is connected', async () => {
    worker = await withEnv({ REDIS_PREFIX: prefix }, startTestWorker);
    await eventually(async () => ((await workerCheck(prefix)) === 0 ? true : undefined), 10_000);
  });

  it('is unhealthy again once the worker stopped', async () => {
    await worker?.close();
    worker = undefined;
    await eventually(async () => ((await workerCheck(prefix)) === 1 ? true : undefined), 10_000);
  });
});

it('fails with its usage for an app it does not know, so that a mistyped HEALTHCHECK never passes', async () => {
  expect(await healthcheck('wroker', {})).toBe(2);
});

/** `node tools/docker-healthcheck.mjs api`: healthy while the api serves with PostgreSQL and Redis up. */
describe('docker healthcheck: api', () => {
  it('is healthy while the api answers degraded (no worker yet), asking with the Host ALLOWED_HOSTS must keep', async () => {
    // A prefix no worker uses, and only the name the documentation tells operators to keep allowed.
    const api = await startApiProcess({
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-healthcheck-api`,
      ALLOWED_HOSTS: 'localhost',
    });
    try {
      expect(await healthcheck('api', { PORT: new URL(api.url).port })).toBe(0);
    } finally {
      await api.stop();
    }
  }, 60_000);

  it('says why it fails when ALLOWED_HOSTS leaves out the localhost it asks by', async () => {
    const api = await startApiProcess({
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-healthcheck-hosts`,
      ALLOWED_HOSTS: 'api.example',
    });
    try {
      const check = await healthcheckRun('api', { PORT: new URL(api.url).port });
      expect({ code: check.code, stderr: check.stderr }).toEqual({
        code: 1,
        stderr:
          'unhealthy: the api answered 400 (ALLOWED_HOSTS must keep localhost, the name this check asks by): ' +
          '{"error":"Invalid host header.","details":"localhost"}\n',
      });
    } finally {
      await api.stop();
    }
  }, 60_000);

  it('asks the api at the one address LISTEN_HOST names, where 127.0.0.1 would find nothing', async () => {
    const api = await startApiProcess({
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-healthcheck-listen`,
      LISTEN_HOST: '127.0.0.2',
    });
    try {
      const port = new URL(api.url).port;
      expect(await healthcheck('api', { PORT: port, LISTEN_HOST: '127.0.0.2' })).toBe(0);
      expect(await healthcheckRun('api', { PORT: port, LISTEN_HOST: '0.0.0.0' })).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^unhealthy: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/),
      });
    } finally {
      await api.stop();
    }
  }, 60_000);

  it('is unhealthy while the api answers unhealthy (Redis down), and when nothing answers', async () => {
    const api = await startApiProcess({ REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` });
    try {
      const port = new URL(api.url).port;
      const health = await fetch(`${api.url}/api/health/`);
      expect({ status: health.status, body: await health.json() }).toMatchObject({
        status: 503,
        body: { status: 'unhealthy' },
      });
      const check = await healthcheckRun('api', { PORT: port });
      expect({ code: check.code, stderr: check.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(/^unhealthy: the api answered 503: \{"status":"unhealthy",/),
      });
    } finally {
      await api.stop();
    }
    expect(await healthcheck('api', { PORT: String(await freePort()) })).toBe(1);
  }, 60_000);

  it("reads .env in its working directory, as the apps do, outside the tests' NODE_ENV=test", async () => {
    const api = await startApiProcess({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}-healthcheck-dotenv` });
    const folder = mkdtempSync(join(tmpdir(), 'evently-healthcheck-'));
    try {
      writeFileSync(join(folder, '.env'), `PORT=${new URL(api.url).port}\n`);
      expect(await healthcheck('api', { NODE_ENV: undefined, PORT: undefined }, folder)).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await api.stop();
    }
  }, 60_000);
});
