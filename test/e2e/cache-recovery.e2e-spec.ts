import { randomUUID } from 'node:crypto';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { CacheInvalidation, cacheKeys, RedisService } from '@evently/cache';
import { createEvent, eventually, loginAs, TestSession } from '@evently/testing';

import { StartedEventsWatch } from '../../apps/worker/src/events/started-events.watch';
import { createTestApp } from '../support/test-app';

/** Redis as it is under `noeviction` once full: it answers reads, and refuses the increments of `app`'s bumps. */
function refuseIncrements(app: NestFastifyApplication) {
  const client = app.get(RedisService).client;
  const multi = client.multi.bind(client) as () => ReturnType<typeof client.multi>;
  return jest.spyOn(client, 'multi').mockImplementation((() => {
    const pipeline = multi();
    pipeline.exec = () => Promise.reject(new Error('OOM command not allowed when used memory > maxmemory'));
    return pipeline;
  }) as typeof client.multi);
}

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

  // First, while no failure injected by the tests below has left a bump to be paid late.
  describe('an event that starts, with no write to mark it', () => {
    let reader: NestFastifyApplication;

    beforeAll(async () => {
      reader = await createTestApp();
    });
    afterAll(() => reader.close());

    it('makes every api read around the cache when Redis refuses the bump', async () => {
      const dataSource = app.get(DataSource);
      const organizer = await loginAs(app, 'staff');
      const name = `starting ${randomUUID()}`;
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, name });
      const listed = async () => {
        const list = await request(reader.getHttpServer()).get(`/api/user/events/?search=${encodeURIComponent(name)}`);
        return list.body.count;
      };
      expect([await listed(), await listed()]).toEqual([1, 1]); // cached from the second read on
      // Brought forward behind the cache's back, as time passing would: no write bumps a version.
      const [[{ time }]] = await dataSource.query(
        `UPDATE events SET time = now() + interval '200 milliseconds' WHERE id = $1 RETURNING time`,
        [eventId],
      );
      await eventually(async () => {
        const [{ started }] = await dataSource.query(`SELECT now() >= $1 AS started`, [time]);
        return started ? true : undefined;
      });
      expect(await listed()).toBe(1); // no write marks the start: the cached list is out of date

      const refusals = [refuseIncrements(app), refuseIncrements(reader)];
      try {
        await new StartedEventsWatch(dataSource, app.get(CacheInvalidation)).look();
        await eventually(async () => ((await listed()) === 0 ? true : undefined), 10_000);
      } finally {
        for (const refusal of refusals) refusal.mockRestore();
      }
      // Paid once Redis takes it, so the tests below start with every process reading the cache again.
      await eventually(async () => {
        const [{ owed }] = await dataSource.query(`SELECT count(*)::int AS owed FROM cache_bumps_owed`);
        return owed === 0 ? true : undefined;
      });
    });

    it('outdates the lists once for each start: not at a look that finds no event started since the last', async () => {
      const dataSource = app.get(DataSource);
      const organizer = await loginAs(app, 'staff');
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, name: `soon ${randomUUID()}` });
      const [[{ time }]] = await dataSource.query(
        `UPDATE events SET time = now() + interval '300 milliseconds' WHERE id = $1 RETURNING time`,
        [eventId],
      );
      const invalidation = app.get(CacheInvalidation);
      const watch = new StartedEventsWatch(dataSource, invalidation);
      await watch.look(); // the first look goes back a list's lifetime, to events other tests started
      const outdate = jest.spyOn(invalidation, 'outdate');
      try {
        await watch.look(); // the event has not started yet, and no other has since the first look
        expect(outdate).not.toHaveBeenCalled();
        await eventually(async () => {
          const [{ started }] = await dataSource.query(`SELECT now() >= $1 AS started`, [time]);
          return started ? true : undefined;
        });
        await watch.look();
        expect(outdate).toHaveBeenCalledTimes(1);
        await watch.look(); // every second, on a busy list's cache, a bump each would empty it all the time
        expect(outdate).toHaveBeenCalledTimes(1);
      } finally {
        outdate.mockRestore();
      }
    });
  });

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

  it('reads the cache again within seconds once Redis takes increments again, with no write to retry them', async () => {
    const http = request(app.getHttpServer());
    const dataSource = app.get(DataSource);
    const organizer = await loginAs(app, 'staff');
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, name: 'before the refusal' });
    const get = () => http.get(`/api/user/events/${eventId}/`).set('Host', 'localhost').expect(200);
    // The record the write leaves is paid by another process's keeper, not by this one's.
    const keeper = jest.spyOn(app.get(CacheInvalidation), 'payOverdue').mockResolvedValue(0);
    try {
      const refusal = refuseIncrements(app);
      try {
        await http
          .put(`/api/admin/events/${eventId}/`)
          .set(organizer.headers)
          .send({ name: 'after the refusal' })
          .expect(200);
      } finally {
        refusal.mockRestore();
      }
      expect((await get()).body.name).toBe('after the refusal');
      // Served from the cache again: a change made behind its back is not seen.
      await eventually(async () => {
        const before = (await get()).body.description;
        await dataSource.query(`UPDATE events SET description = md5(random()::text) WHERE id = $1`, [eventId]);
        return (await get()).body.description === before ? true : undefined;
      }, 5000);
    } finally {
      keeper.mockRestore();
    }
  });

  describe('a write whose bump only its writer knows failed', () => {
    let reader: NestFastifyApplication;

    beforeAll(async () => {
      reader = await createTestApp();
    });
    afterAll(() => reader.close());

    /** Event details cached by `reader` under the event's current version, and their organizer. */
    async function cachedEvent(name: string): Promise<{ eventId: string; organizer: TestSession }> {
      const organizer = await loginAs(app, 'staff');
      const eventId = await createEvent(app.get(DataSource), { organizerId: organizer.user.id, name });
      const redis = reader.get(RedisService);
      const runId = await eventually(async () => redis.runId);
      await request(reader.getHttpServer()).get(`/api/user/events/${eventId}/`).expect(200);
      const entry = redis.key(cacheKeys.entry(runId, cacheKeys.publicEventDetails(eventId)));
      await eventually(async () => ((await redis.client.exists(entry)) === 1 ? true : undefined));
      return { eventId, organizer };
    }

    async function rename({ eventId, organizer }: { eventId: string; organizer: TestSession }, name: string) {
      await request(app.getHttpServer())
        .put(`/api/admin/events/${eventId}/`)
        .set(organizer.headers)
        .send({ name })
        .expect(200);
    }

    it('is paid by another api when it reconnects, before it reads the cache again', async () => {
      const event = await cachedEvent('before the blip');
      const { eventId } = event;
      const writerRedis = app.get(RedisService);
      const readerRedis = reader.get(RedisService);
      writerRedis.client.disconnect();
      try {
        await rename(event, 'during the blip');
        readerRedis.client.disconnect(true); // the same blip, but the reader is back first
        await eventually(async () => (readerRedis.runId === undefined ? true : undefined));
        await eventually(async () => (readerRedis.runId ? true : undefined));

        const read = await request(reader.getHttpServer()).get(`/api/user/events/${eventId}/`).expect(200);
        expect(read.body.name).toBe('during the blip');
      } finally {
        await writerRedis.client.connect();
      }
    });

    it('reads around the cache on reconnecting for as long as paying the owed bumps takes', async () => {
      const event = await cachedEvent('before the slow payment');
      const { eventId } = event;
      const writerRedis = app.get(RedisService);
      const readerRedis = reader.get(RedisService);
      const invalidation = reader.get(CacheInvalidation);
      const payOverdue = invalidation.payOverdue.bind(invalidation);
      // The payment of every record on reconnecting is slow (a busy database), though within its budget.
      let paidOnReconnect: Promise<number> = Promise.resolve(0);
      const slowed = jest.spyOn(invalidation, 'payOverdue').mockImplementation((minAgeSeconds) => {
        if (minAgeSeconds !== 0) return payOverdue(minAgeSeconds);
        paidOnReconnect = new Promise((resolve) => setTimeout(resolve, 600)).then(() => payOverdue(minAgeSeconds));
        return paidOnReconnect;
      });
      writerRedis.client.disconnect();
      try {
        await rename(event, 'during the slow payment');
        readerRedis.client.disconnect(true);
        await eventually(async () => (readerRedis.runId === undefined ? true : undefined));
        await eventually(async () => (readerRedis.runId ? true : undefined), 20_000, 10);

        const read = await request(reader.getHttpServer()).get(`/api/user/events/${eventId}/`).expect(200);
        expect(read.body.name).toBe('during the slow payment');
      } finally {
        await paidOnReconnect; // so the reader reads the cache again in the tests that follow
        slowed.mockRestore();
        await writerRedis.client.connect();
      }
    });

    it('makes every api read around the cache while Redis refuses the increments but still answers reads', async () => {
      const event = await cachedEvent('before the refusal');
      const { eventId } = event;
      const refusals = [refuseIncrements(app), refuseIncrements(reader)];
      try {
        await rename(event, 'after the refusal');
        // The reader learns of the owed bump once it is overdue (2 s), at its next payment round (every second).
        await eventually(async () => {
          const read = await request(reader.getHttpServer()).get(`/api/user/events/${eventId}/`).expect(200);
          return read.body.name === 'after the refusal' ? true : undefined;
        }, 10_000);
      } finally {
        for (const refusal of refusals) refusal.mockRestore();
      }
    });
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
