import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';

import { eventually } from '@evently/testing';

import { startTestWorker } from '../support/test-app';
import { withEnv } from '../support/with-env';

const run = promisify(execFile);

/** `node tools/docker-healthcheck.mjs worker`, as the worker image's HEALTHCHECK runs it: its exit code. */
async function workerCheck(prefix: string): Promise<number> {
  try {
    await run(process.execPath, ['tools/docker-healthcheck.mjs', 'worker'], {
      env: { ...process.env, REDIS_PREFIX: prefix },
    });
    return 0;
  } catch (error) {
    return (error as { code: number }).code;
  }
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
    const foreign = new Redis(process.env.REDIS_URL ?? '', { connectionName: `${bookingsQueue}:w:elsewhere:1` });
    try {
      await foreign.ping();
      expect(await workerCheck(prefix)).toBe(1);
    } finally {
      foreign.disconnect();
    }
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
