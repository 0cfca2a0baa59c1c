import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import request from 'supertest';

import { RedisService } from '@evently/cache';
import { BOOKING_JOBS, QUEUES, WORKER_NAME } from '@evently/queue';
import { eventually } from '@evently/testing';

import { freePort } from '../support/processes';
import { createTestApp, startTestWorker } from '../support/test-app';
import { withEnv } from '../support/with-env';

describe('GET /api/health/', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('is 503 "degraded" naming the workers while none runs, then 200 "healthy" with the worker count', async () => {
    // Queues of their own: a worker another file runs would make it healthy from the start.
    const env = ownQueues('workers');
    const lonely = await withEnv(env, createTestApp);
    try {
      const http = request(lonely.getHttpServer());
      // Until Redis (connecting in the background) and PostgreSQL answer within the checks' budgets, health says
      // "unhealthy": seen once on a loaded machine right after the app started.
      const degraded = await eventually(async () => {
        const response = await http.get('/api/health/');
        return response.body.status === 'unhealthy' ? undefined : response;
      });
      expect(degraded.status).toBe(503);
      expect(degraded.body).toMatchObject({ status: 'degraded', celery: 'not running', workers: 0, processes: [] });
      expect(degraded.body.message).toContain('workers');

      const worker: INestApplicationContext = await withEnv(env, startTestWorker);
      try {
        const healthy = await eventually(async () => {
          const response = await http.get('/api/health');
          return response.status === 200 ? response : undefined;
        });
        expect(healthy.body).toMatchObject({
          status: 'healthy',
          celery: 'running',
          workers: expect.any(Number),
          checks: { database: 'up', redis: 'up' },
        });
        expect(healthy.body.workers).toBeGreaterThanOrEqual(1);
        expect(healthy.body.message).toBe(`Workers are running with ${healthy.body.workers} worker(s)`);
        // Each worker by its own name (`<host>:<pid>`), as operators find it in `ps` and in its logs.
        expect(healthy.body.processes).toHaveLength(healthy.body.workers);
        expect(healthy.body.processes).toContain(WORKER_NAME);
        expect(healthy.body.broker).toMatch(/^redis:\/\//);
        // The error shape is only for a report that is not healthy.
        expect(healthy.body).not.toHaveProperty('error');
        expect(healthy.body).not.toHaveProperty('details');
      } finally {
        await worker.close();
      }
    } finally {
      await lonely.close();
    }
  });

  it('reports the depth and oldest waiting job of each queue; a booking backlog is degraded only where configured', async () => {
    // Queues of their own: jobs other files left waiting would sit behind the backdated one.
    const backlogged = await createAppWithOwnQueues('backlog', { HEALTH_MAX_JOB_AGE_SECONDS: '60' });
    const unconfigured = await createAppWithOwnQueues('backlog');
    const bookings = backlogged.get<Queue>(getQueueToken(QUEUES.bookings));
    const tenMinutesAgo = Date.now() - 600_000;
    const stale = await bookings.add(
      BOOKING_JOBS.settleEvent,
      { eventId: randomUUID() },
      { jobId: `health-test-${randomUUID()}`, timestamp: tenMinutesAgo },
    );
    const fresh = await bookings.add(
      BOOKING_JOBS.settleEvent,
      { eventId: randomUUID() },
      { jobId: `health-test-${randomUUID()}` },
    );
    const retrying = await bookings.add(
      BOOKING_JOBS.settleEvent,
      { eventId: randomUUID() },
      { jobId: `health-test-${randomUUID()}`, delay: 600_000 },
    );
    try {
      const { status, body } = await request(backlogged.getHttpServer()).get('/api/health/');
      expect(status).toBe(503);
      expect(body.status).toBe('degraded');
      expect(body.message).toMatch(/bookings queue \(oldest waiting job \d+ s\)/);
      // These queues hold the test's jobs alone: each state counts its own, and the age is in seconds.
      expect(body.queues.bookings).toEqual({
        waiting: 2,
        active: 0,
        delayed: 1,
        failed: 0,
        oldest_waiting_seconds: expect.any(Number),
      });
      expect(body.queues.bookings.oldest_waiting_seconds).toBeGreaterThanOrEqual(599);
      expect(body.queues.bookings.oldest_waiting_seconds).toBeLessThan(900);
      expect(body.queues.mail).toMatchObject({
        waiting: expect.any(Number),
        oldest_waiting_seconds: expect.any(Number),
      });

      // By default only the missing worker (none runs on these queues) degrades it: the contract's parts.
      const byDefault = await request(unconfigured.getHttpServer()).get('/api/health/');
      expect(byDefault.body).toMatchObject({ status: 'degraded', details: 'workers' });
      expect(byDefault.body.queues.bookings.oldest_waiting_seconds).toBeGreaterThanOrEqual(599);
    } finally {
      await Promise.all([stale.remove(), fresh.remove(), retrying.remove()]).finally(() =>
        Promise.all([backlogged.close(), unconfigured.close()]),
      );
    }
  });

  it('answers a burst of probes with the checks of one: Redis lists its clients once, not once per probe', async () => {
    // Each check lists the workers (CLIENT LIST) once Redis answers its ping.
    await eventually(async () => (app.get(RedisService).isReady ? true : undefined));
    const listings = jest.spyOn(app.get<Queue>(getQueueToken(QUEUES.bookings)), 'getWorkers');
    try {
      const start = performance.now();
      const probes = await Promise.all(
        Array.from({ length: 20 }, () => request(app.getHttpServer()).get('/api/health/')),
      );
      const seconds = Math.floor((performance.now() - start) / 1000);
      expect(new Set(probes.map((probe) => probe.body.status)).size).toBe(1);
      // Probes share a check for a second: one for the burst, one more per second it took on a slow machine.
      expect(listings.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(listings.mock.calls.length).toBeLessThanOrEqual(1 + seconds);
    } finally {
      listings.mockRestore();
    }
  });

  it.each([
    [
      'CLIENT LIST is renamed away, as some managed services do',
      "ERR unknown command 'client', with args beginning with: 'LIST'",
      'CLIENT LIST',
    ],
    [
      'CLIENT LIST is refused to the Redis user by its ACL',
      "NOPERM User evently has no permissions to run the 'client|list' command",
      'CLIENT LIST',
    ],
    [
      'INFO, which BullMQ runs first, is refused by the ACL',
      "NOPERM this user has no permissions to run the 'info' command",
      'INFO',
    ],
  ])('says the workers cannot be counted, rather than guess, where %s', async (_, refusal, command) => {
    const health = () => request(app.getHttpServer()).get('/api/health/');
    // A report from before the refusal, not one shared from the case before (probes share a check for a second).
    await eventually(async () => ((await health()).body.celery === 'unknown' ? undefined : true));
    // The queue's client is a proxy jest cannot spy on; its method is swapped for the test's length.
    const client = await app.get<Queue>(getQueueToken(QUEUES.bookings)).backend.client;
    const listClients = client.clientList;
    client.clientList = (() => Promise.reject(new Error(refusal))) as typeof client.clientList;
    try {
      const response = await eventually(async () => {
        const answer = await health();
        return answer.body.celery === 'unknown' ? answer : undefined;
      });
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'degraded',
        workers: 0,
        message: `Unavailable: workers (cannot be counted: Redis refuses ${command})`,
      });
    } finally {
      client.clientList = listClients;
    }
  });

  it('never shows the Redis password', async () => {
    const url = new URL(process.env.REDIS_URL ?? '');
    // Redis 6+ takes any password for its default user while that user has none.
    if (!url.password) [url.username, url.password] = ['default', 's3cret'];
    const password = decodeURIComponent(url.password);
    const guarded = await withEnv({ REDIS_URL: url.toString() }, createTestApp);
    try {
      const { body } = await eventually(async () => {
        const response = await request(guarded.getHttpServer()).get('/api/health/');
        return response.body.checks?.redis === 'up' ? response : undefined;
      });
      expect(JSON.stringify(body)).not.toContain(password);
      url.password = '***';
      expect(body.broker).toBe(url.toString());
    } finally {
      await guarded.close();
    }
  });

  it('is 503 "unhealthy" naming Redis while it does not answer, and cannot say whether workers run', async () => {
    const closed = new URL(process.env.REDIS_URL ?? '');
    closed.port = String(await freePort());
    const cut = await withEnv({ REDIS_URL: closed.toString() }, createTestApp);
    try {
      const response = await request(cut.getHttpServer()).get('/api/health/').expect(503);
      expect(response.body).toMatchObject({
        status: 'unhealthy',
        celery: 'unknown',
        workers: 0,
        checks: { database: 'up', redis: 'down' },
        queues: {},
      });
      expect(response.body.details).toContain('redis');
    } finally {
      await cut.close();
    }
  });

  it('carries the error shape next to status and the failing part when unhealthy, and says when to retry', async () => {
    const lonely = await createAppWithOwnQueues('no-workers');
    try {
      const response = await request(lonely.getHttpServer()).get('/api/health/').expect(503);
      expect(response.body).toMatchObject({
        status: 'degraded',
        workers: 0,
        checks: { database: 'up', redis: 'up', workers: 0 },
        error: 'Service temporarily unavailable.',
        details: 'workers',
      });
      expect(response.headers['retry-after']).toBe('1');
    } finally {
      await lonely.close();
    }
  });
});

/** A Redis prefix derived from the run's (so teardown still removes its keys): queues no other test uses. */
function ownQueues(suffix: string): Record<string, string> {
  return { REDIS_PREFIX: `${process.env.REDIS_PREFIX}-${suffix}` };
}

function createAppWithOwnQueues(suffix: string, env: Record<string, string> = {}): Promise<NestFastifyApplication> {
  return withEnv({ ...ownQueues(suffix), ...env }, createTestApp);
}
