import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { cacheKeys, RedisService } from '@evently/cache';
import { createEvent, eventually, loginAs } from '@evently/testing';

import { createTestApp } from '../support/test-app';

/**
 * A write whose cache version bump fails because the connection to Redis is down (a network blip, no
 * Redis restart) must not leave the old entry to be served once the connection is back.
 */
describe('cache invalidation across a lost Redis connection', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('replays the bump that failed, so the first read after reconnecting is fresh', async () => {
    const http = request(app.getHttpServer());
    const organizer = await loginAs(app, 'staff');
    const eventId = await createEvent(app.get(DataSource), { organizerId: organizer.user.id, name: 'before the blip' });
    const redis = app.get(RedisService);
    const runId = await eventually(async () => redis.runId);
    await http.get(`/api/user/events/${eventId}/`).expect(200);
    const entry = redis.key(cacheKeys.entry(runId, cacheKeys.publicEventDetails(eventId)));
    await eventually(async () => ((await redis.client.exists(entry)) === 1 ? true : undefined));

    redis.client.disconnect();
    await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ name: 'after the blip' }).expect(200);
    await redis.client.connect();
    await eventually(async () => (redis.runId ? true : undefined));

    const after = await http.get(`/api/user/events/${eventId}/`).expect(200);
    expect(after.body.name).toBe('after the blip');
  });

  it('keeps asking for the Redis run id when the first answer is lost, so the cache comes back on', async () => {
    const redis = app.get(RedisService);
    const info = redis.client.info.bind(redis.client) as (...args: unknown[]) => Promise<string>;
    let asked = 0;
    // Only the service's own question ('server'): ioredis's ready check also sends INFO.
    const spy = jest.spyOn(redis.client, 'info').mockImplementation(((...args: unknown[]) => {
      if (args[0] !== 'server') return info(...args);
      asked += 1;
      return asked === 1 ? Promise.reject(new Error('Command timed out')) : info(...args);
    }) as typeof redis.client.info);
    try {
      redis.client.disconnect(true); // and reconnect: on 'ready' the service asks, and loses the answer
      await eventually(async () => (redis.runId === undefined ? true : undefined));
      await eventually(async () => (redis.runId ? true : undefined), 10_000);
      expect(asked).toBeGreaterThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });
});
