import { randomUUID } from 'node:crypto';

import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import request from 'supertest';

import { RedisService } from '@evently/cache';
import { BOOKING_JOBS, QUEUES } from '@evently/queue';
import { eventually } from '@evently/testing';

import { createTestApp, startTestWorker } from '../support/test-app';

describe('GET /api/health/', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('is 503 "degraded" naming the workers while none runs, then 200 "healthy" with the worker count', async () => {
    const http = request(app.getHttpServer());
    // Until Redis (connecting in the background) and PostgreSQL answer within the checks' budgets, health says
    // "unhealthy": seen once on a loaded machine right after the app started.
    const degraded = await eventually(async () => {
      const response = await http.get('/api/health/');
      return response.body.status === 'unhealthy' ? undefined : response;
    });
    if (degraded.status === 503) {
      expect(degraded.body).toMatchObject({ status: 'degraded', workers: 0 });
      expect(degraded.body.message).toContain('workers');
    }

    const worker: INestApplicationContext = await startTestWorker();
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
      expect(healthy.body.broker).toMatch(/^redis:\/\//);
    } finally {
      await worker.close();
    }
  });

  it('reports the depth and oldest waiting job of each queue, and a booking backlog as degraded', async () => {
    // Queues of their own: jobs other files left waiting would sit behind the backdated one.
    const backlogged = await createAppWithOwnQueues('backlog');
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
    try {
      const { status, body } = await request(backlogged.getHttpServer()).get('/api/health/');
      expect(status).toBe(503);
      expect(body.status).toBe('degraded');
      expect(body.message).toMatch(/bookings queue \(oldest waiting job \d+ s\)/);
      expect(body.queues.bookings).toEqual({
        waiting: expect.any(Number),
        active: expect.any(Number),
        delayed: expect.any(Number),
        failed: expect.any(Number),
        oldest_waiting_seconds: expect.any(Number),
      });
      expect(body.queues.bookings.waiting).toBeGreaterThanOrEqual(2);
      expect(body.queues.bookings.oldest_waiting_seconds).toBeGreaterThanOrEqual(599);
      expect(body.queues.mail).toMatchObject({
        waiting: expect.any(Number),
        oldest_waiting_seconds: expect.any(Number),
      });
    } finally {
      await Promise.all([stale.remove(), fresh.remove()]).finally(() => backlogged.close());
    }
  });

  it('answers a burst of probes with the checks of one: Redis lists its clients once, not once per probe', async () => {
    const redis = app.get(RedisService).client;
    const clientLists = async () =>
      Number(/cmdstat_client\|list:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the answer an earlier test's probe left
    const before = await clientLists();
    const probes = await Promise.all(
      Array.from({ length: 20 }, () => request(app.getHttpServer()).get('/api/health/')),
    );
    expect(new Set(probes.map((probe) => probe.body.status)).size).toBe(1);
    const checks = (await clientLists()) - before;
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThanOrEqual(2);
  });

  it('never shows the Redis password', async () => {
    const { body } = await request(app.getHttpServer()).get('/api/health/');
    expect(JSON.stringify(body)).not.toMatch(/:[^:@/*]+@/);
  });

  it('carries the error shape next to status and the failing part when unhealthy', async () => {
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
    } finally {
      await lonely.close();
    }
  });
});

/** An api on a Redis prefix derived from the run's (so teardown still removes its keys): queues no other test uses. */
async function createAppWithOwnQueues(suffix: string): Promise<NestFastifyApplication> {
  const prefix = process.env.REDIS_PREFIX;
  process.env.REDIS_PREFIX = `${prefix}-${suffix}`;
  try {
    return await createTestApp();
  } finally {
    process.env.REDIS_PREFIX = prefix;
  }
}
