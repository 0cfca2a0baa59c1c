import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { BookingAllocator } from '@evently/bookings';
import { CacheInvalidation, cacheKeys } from '@evently/cache';
import { createEvent, eventually, loginAs, TestSession } from '@evently/testing';

import { marker, seedBookings } from '../support/event-fixtures';
import { createTestApp, dataSourceOf, startTestWorker } from '../support/test-app';

type Http = ReturnType<typeof request>;

interface PublicReads {
  details: { status: number; name?: string; description?: string | null; available_tickets?: number };
  availability: { status: number; event_id?: string; available_tickets?: number };
  list: { id: string; name: string; description: string | null; available_tickets: number }[];
}

/**
 * The three cached reads of one event, as an anonymous client sees them. Always on the same Host (supertest names a
 * new port in each request's), so that repeated reads are replayed (apps/api/src/common/answer-replay.ts) as a real
 * client's would be, and the freshness checks cover the replay too.
 */
async function publicReads(http: Http, eventId: string, search: string): Promise<PublicReads> {
  const get = (path: string) => http.get(path).set('Host', 'localhost');
  const [details, availability, list] = await Promise.all([
    get(`/api/user/events/${eventId}/`),
    get(`/api/events/${eventId}/availability/`),
    get('/api/user/events/').query({ search }),
  ]);
  expect(list.status).toBe(200);
  return {
    details: { status: details.status, ...details.body },
    availability: { status: availability.status, ...availability.body },
    list: list.body.results,
  };
}

describe('caching: public reads are cached and never stale after a write', () => {
  let app: NestFastifyApplication;
  let http: Http;
  let dataSource: DataSource;
  let organizer: TestSession;
  let buyer: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    organizer = await loginAs(app, 'staff');
    buyer = await loginAs(app, 'user');
  });
  afterAll(() => app.close());

  const newEvent = (name: string) => createEvent(dataSource, { organizerId: organizer.user.id, name, capacity: 10 });

  /**
   * Primes the cached reads, then changes the event behind the api's back (no invalidation) until a read
   * still shows the old values: proof they come from the cache, so the freshness checks that follow a
   * write are not vacuous. (The cache stores entries without waiting, so the first try may race it.)
   */
  async function primeAndSneak(eventId: string, search: string, client = http): Promise<void> {
    await eventually(async () => {
      const primed = await publicReads(client, eventId, search);
      await dataSource.query(
        `UPDATE events SET description = md5(random()::text), capacity = capacity + 1000 WHERE id = $1`,
        [eventId],
      );
      const again = await publicReads(client, eventId, search);
      return JSON.stringify(again) === JSON.stringify(primed) ? true : undefined;
    });
  }

  /** Every public read agrees with the database row right now. */
  async function expectFresh(eventId: string, search: string, client = http): Promise<PublicReads> {
    const [row] = await dataSource.query(
      `SELECT name, description, capacity - booked_tickets AS available, deleted_at IS NULL AND is_active AS visible
         FROM events WHERE id = $1`,
      [eventId],
    );
    const reads = await publicReads(client, eventId, search);
    if (!row.visible) {
      expect(reads.details.status).toBe(404);
      expect(reads.availability.status).toBe(404);
      expect(reads.list.map((event) => event.id)).not.toContain(eventId);
      return reads;
    }
    const fields = { name: row.name, description: row.description, available_tickets: row.available };
    expect(reads.details).toMatchObject({ status: 200, ...fields });
    expect(reads.availability).toEqual({ status: 200, event_id: eventId, available_tickets: row.available });
    expect(reads.list).toContainEqual(expect.objectContaining({ id: eventId, ...fields }));
    return reads;
  }

  /** A booking as POST /api/bookings leaves it: `processing`, waiting for the worker. */
  async function book(eventId: string, tickets: number, session = buyer): Promise<string> {
    const [id] = await seedBookings(dataSource, { eventId, userId: session.user.id, status: 'processing', tickets });
    return id;
  }

  /** A writer clears its record of the cache bumps it owed once it has made them (CacheInvalidation.pay). */
  async function expectNothingOwed(eventId: string): Promise<void> {
    const owed = await dataSource.query(`SELECT id FROM cache_bumps_owed WHERE $1 = ANY(version_keys)`, [
      cacheKeys.eventVersion(eventId),
    ]);
    expect(owed).toEqual([]);
  }

  const available = async (eventId: string) =>
    (await dataSource.query(`SELECT capacity - booked_tickets AS n FROM events WHERE id = $1`, [eventId]))[0].n;

  it('serves repeated public reads from the cache, while admin views always read the database', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    const details = await http.get(`/api/admin/events/${eventId}/details/`).set(organizer.headers).expect(200);
    expect(details.body.available_tickets).toBe(await available(eventId));
    const list = await http.get('/api/admin/events/list/').query({ search: name }).set(organizer.headers);
    expect(list.body.results[0].available_tickets).toBe(await available(eventId));
  });

  it('stores a filtered list from its second request on, so a one-off search takes no cache space', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    const description = async () =>
      (await http.get('/api/user/events/').query({ search: name }).expect(200)).body.results[0].description;
    const asked = await description();
    await dataSource.query(`UPDATE events SET description = md5(random()::text) WHERE id = $1`, [eventId]);
    expect(await description()).not.toBe(asked); // the first answer was not stored
    await primeAndSneak(eventId, name); // asked again, it is
  });

  it('shows a created event in the list at once', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    const created = await http
      .post('/api/admin/events/')
      .set(organizer.headers)
      .send({ name: `${name} second`, venue: 'Hall', time: '2031-05-05T10:00:00Z', capacity: 3, price_per_ticket: 1 })
      .expect(201);
    // Creating another event changes the lists only, so the list is what must be fresh.
    const [row] = await dataSource.query(
      `SELECT description, capacity - booked_tickets AS available FROM events WHERE id = $1`,
      [eventId],
    );
    const { list } = await publicReads(http, eventId, name);
    expect(list.map((event) => event.id).sort()).toEqual([eventId, created.body.event_id].sort());
    expect(list).toContainEqual(
      expect.objectContaining({ id: eventId, description: row.description, available_tickets: row.available }),
    );
    await expectNothingOwed(created.body.event_id);
  });

  it('shows an update at once on every read', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    await http
      .put(`/api/admin/events/${eventId}/`)
      .set(organizer.headers)
      .send({ name: `${name} renamed` })
      .expect(200);
    const reads = await expectFresh(eventId, name);
    expect(reads.details.name).toBe(`${name} renamed`);
    await expectNothingOwed(eventId);
  });

  it('hides a deleted event at once on every read', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    await http.delete(`/api/admin/events/${eventId}/delete/`).set(organizer.headers).expect(200);
    const reads = await expectFresh(eventId, name);
    expect(reads.list).toEqual([]);
    await expectNothingOwed(eventId);
  });

  it('shows a settled booking at once (BookingAllocator.settleEvents)', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await book(eventId, 3);
    await primeAndSneak(eventId, name);
    const before = await available(eventId);

    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({ confirmed: 1, failed: 0, cancelled: 0 });
    const reads = await expectFresh(eventId, name);
    expect(reads.availability.available_tickets).toBe(before - 3);
    await expectNothingOwed(eventId);
  });

  it('shows a cancelled booking at once', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    const bookingId = await book(eventId, 4);
    await app.get(BookingAllocator).settleEvents([eventId]);
    await primeAndSneak(eventId, name);
    const before = await available(eventId);

    await http.delete(`/api/bookings/${bookingId}/`).set(buyer.headers).expect(200);
    const reads = await expectFresh(eventId, name);
    expect(reads.availability.available_tickets).toBe(before + 4);
    await expectNothingOwed(eventId);
  });

  it('shows the seats of bulk-deleted users at once', async () => {
    const prefix = `${marker()}_`;
    const leaving = await loginAs(app, 'user', `${prefix}gone`);
    const name = marker();
    const eventId = await newEvent(name);
    await book(eventId, 5, leaving);
    await app.get(BookingAllocator).settleEvents([eventId]);
    await primeAndSneak(eventId, name);
    const before = await available(eventId);

    await http.post('/api/admin/users/bulk_delete/').set(organizer.headers).send({ prefix }).expect(200);
    const reads = await expectFresh(eventId, name);
    expect(reads.availability.available_tickets).toBe(before + 5);
    await expectNothingOwed(eventId);
  });

  /** What a settling worker leaves between its commit and its cache bump: the booking confirmed, the bump owed. */
  async function confirmWithoutBump(bookingId: string, eventId: string, tickets: number): Promise<void> {
    await dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE bookings SET status = 'confirmed', confirmed_at = now(), updated_at = now() WHERE id = $1`,
        [bookingId],
      );
      await manager.query(`UPDATE events SET booked_tickets = booked_tickets + $2 WHERE id = $1`, [eventId, tickets]);
      await app.get(CacheInvalidation).owe(manager, [eventId]);
    });
  }

  /**
   * `check` with a second api reading, and no process paying overdue bumps meanwhile (the keepers' periodic round,
   * which would make the reads fresh after 2 s whatever the poll did).
   */
  async function withSecondApiAndNoKeepers(check: (otherHttp: Http) => Promise<void>): Promise<void> {
    const other = await createTestApp();
    const paused = [app, other].map((each) =>
      jest.spyOn(each.get(CacheInvalidation), 'payOverdue').mockResolvedValue(0),
    );
    try {
      await check(request(other.getHttpServer()));
    } finally {
      for (const spy of paused) spy.mockRestore();
      await other.close();
    }
  }

  it("shows a polled booking confirmed only once its event's reads count its seats, on every api", async () => {
    await withSecondApiAndNoKeepers(async (otherHttp) => {
      const name = marker();
      const eventId = await newEvent(name);
      const bookingId = await book(eventId, 2);
      await primeAndSneak(eventId, name, otherHttp);
      await confirmWithoutBump(bookingId, eventId, 2);

      const polled = await http.get(`/api/bookings/${bookingId}/`).set(buyer.headers).expect(200);
      expect(polled.body.status).toBe('confirmed');
      await expectFresh(eventId, name, otherHttp);
      await expectNothingOwed(eventId);
    });
  });

  it("shows a booking confirmed in its holder's history only once its event's reads count its seats", async () => {
    await withSecondApiAndNoKeepers(async (otherHttp) => {
      const holder = await loginAs(app, 'user');
      const name = marker();
      const eventId = await newEvent(name);
      const bookingId = await book(eventId, 3, holder);
      await primeAndSneak(eventId, name, otherHttp);
      await confirmWithoutBump(bookingId, eventId, 3);

      const history = await http.get(`/api/users/${holder.user.id}/bookings/`).set(holder.headers).expect(200);
      expect(history.body.results).toContainEqual(expect.objectContaining({ status: 'confirmed' }));
      await expectFresh(eventId, name, otherHttp);
      await expectNothingOwed(eventId);
    });
  });

  it('is made fresh within seconds when a writer died between its commit and its cache bump', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    const description = 'written by a process killed before its cache bump';
    // What such a writer leaves: its change and, in the same transaction, the record of the bump it owed.
    await dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE events SET description = $2 WHERE id = $1`, [eventId, description]);
      await app.get(CacheInvalidation).owe(manager, [eventId]);
    });
    expect((await publicReads(http, eventId, name)).details.description).not.toBe(description);

    const worker = await startTestWorker();
    try {
      await eventually(async () => {
        const reads = await publicReads(http, eventId, name);
        return reads.details.description === description ? true : undefined;
      }, 10_000);
      await expectFresh(eventId, name);
      await expectNothingOwed(eventId);
    } finally {
      await worker.close();
    }
  });

  it('shows a booking confirmed by the in-process worker', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    const before = await available(eventId);
    let worker: INestApplicationContext | undefined;
    try {
      worker = await startTestWorker();
      const bookingId = await book(eventId, 2);
      // Backdated so the worker's sweeper settles it even though no queue job was sent for it.
      await dataSource.query(`UPDATE bookings SET booking_date = now() - interval '1 minute' WHERE id = $1`, [
        bookingId,
      ]);
      await eventually(async () => {
        const reads = await publicReads(http, eventId, name);
        return reads.availability.available_tickets === before - 2 ? true : undefined;
      });
      const [booking] = await dataSource.query(`SELECT status FROM bookings WHERE id = $1`, [bookingId]);
      expect(booking.status).toBe('confirmed');
      await expectFresh(eventId, name);
    } finally {
      await worker?.close();
    }
  });

  it('drops an event from the cached list within seconds of its start, a moment no write marks', async () => {
    const name = marker();
    const startsAt = new Date(Date.now() + 4000);
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, name, time: startsAt });
    await primeAndSneak(eventId, name);
    // Cached before the start, or the test would prove nothing.
    expect((await publicReads(http, eventId, name)).list.map((event) => event.id)).toEqual([eventId]);
    expect(Date.now()).toBeLessThan(startsAt.getTime());
    let worker: INestApplicationContext | undefined;
    try {
      worker = await startTestWorker();
      const gone = await eventually(async () => {
        const { list } = await publicReads(http, eventId, name);
        return list.length === 0 ? Date.now() : undefined;
      }, 15_000);
      expect(gone - startsAt.getTime()).toBeLessThan(5000);
    } finally {
      await worker?.close();
    }
  });

  it('normalises id case so an upper-case read is invalidated too', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await book(eventId, 1);
    const upper = eventId.toUpperCase();
    await primeAndSneak(upper, name);
    const before = await available(eventId);
    await app.get(BookingAllocator).settleEvents([eventId]);
    const reads = await publicReads(http, upper, name);
    expect(reads.availability).toEqual({ status: 200, event_id: eventId, available_tickets: before - 1 });
    expect(reads.details.available_tickets).toBe(before - 1);
  });

  it('stays fresh across api processes that share Redis', async () => {
    const other = await createTestApp();
    try {
      const otherHttp = request(other.getHttpServer());
      const name = marker();
      const eventId = await newEvent(name);
      await primeAndSneak(eventId, name, otherHttp);
      await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ capacity: 5000 }).expect(200);
      const reads = await expectFresh(eventId, name, otherHttp);
      expect(reads.availability.available_tickets).toBe(5000);
    } finally {
      await other.close();
    }
  });

  it('checks the token before the cache', async () => {
    const name = marker();
    const eventId = await newEvent(name);
    await primeAndSneak(eventId, name);
    const bad = { Authorization: `Token ${'0'.repeat(64)}`, Host: 'localhost' };
    await http.get(`/api/events/${eventId}/availability/`).set(bad).expect(401);
    await http.get(`/api/user/events/${eventId}/`).set(bad).expect(401);
    await http.get('/api/user/events/').query({ search: name }).set(bad).expect(401);
  });

  describe('with Redis unreachable', () => {
    let offline: NestFastifyApplication;
    let offlineHttp: Http;

    beforeAll(async () => {
      const redisUrl = process.env.REDIS_URL;
      jest.spyOn(console, 'error').mockImplementation(() => undefined);
      process.env.REDIS_URL = 'redis://127.0.0.1:1';
      try {
        offline = await createTestApp();
      } finally {
        process.env.REDIS_URL = redisUrl;
      }
      offlineHttp = request(offline.getHttpServer());
    });
    afterAll(async () => {
      await offline.close();
      jest.restoreAllMocks();
    });

    it('answers every public read from the database, always current', async () => {
      const name = marker();
      const eventId = await newEvent(name);
      await expectFresh(eventId, name, offlineHttp);
      await dataSource.query(`UPDATE events SET description = 'changed', capacity = 77 WHERE id = $1`, [eventId]);
      const reads = await expectFresh(eventId, name, offlineHttp);
      expect(reads.availability.available_tickets).toBe(77);
    });

    it('still accepts event writes', async () => {
      const session = await loginAs(offline, 'staff');
      const name = marker();
      const created = await offlineHttp
        .post('/api/admin/events/')
        .set(session.headers)
        .send({ name, venue: 'Hall', time: '2031-05-05T10:00:00Z', capacity: 3, price_per_ticket: 1 })
        .expect(201);
      const eventId = created.body.event_id;
      await offlineHttp.put(`/api/admin/events/${eventId}/`).set(session.headers).send({ capacity: 4 }).expect(200);
      expect((await expectFresh(eventId, name, offlineHttp)).availability.available_tickets).toBe(4);
      await offlineHttp.delete(`/api/admin/events/${eventId}/delete/`).set(session.headers).expect(200);
      await expectFresh(eventId, name, offlineHttp);
    });

    it('leaves the bump of each write it could not make on record, for the other processes to pay', async () => {
      // Counted right after each write: the online app pays records once they are two seconds old.
      let seen = '0';
      const owedByLastWrite = async (eventId: string): Promise<number> => {
        const rows: { id: string }[] = await dataSource.query(
          `SELECT id FROM cache_bumps_owed WHERE $1 = ANY(version_keys) AND id > $2 ORDER BY id`,
          [cacheKeys.eventVersion(eventId), seen],
        );
        seen = rows.at(-1)?.id ?? seen;
        return rows.length;
      };
      const staff = await loginAs(offline, 'staff');
      const prefix = `${marker()}_`;
      const leaving = await loginAs(offline, 'user', `${prefix}gone`);
      const created = await offlineHttp
        .post('/api/admin/events/')
        .set(staff.headers)
        .send({ name: marker(), venue: 'Hall', time: '2031-05-05T10:00:00Z', capacity: 9, price_per_ticket: 1 })
        .expect(201);
      const eventId = created.body.event_id;
      expect(await owedByLastWrite(eventId)).toBe(1);
      await offlineHttp.put(`/api/admin/events/${eventId}/`).set(staff.headers).send({ capacity: 10 }).expect(200);
      expect(await owedByLastWrite(eventId)).toBe(1);
      const [cancelled] = await seedBookings(dataSource, {
        eventId,
        userId: leaving.user.id,
        status: 'processing',
        count: 2,
      });
      expect(await offline.get(BookingAllocator).settleEvents([eventId])).toEqual({
        confirmed: 2,
        failed: 0,
        cancelled: 0,
      });
      expect(await owedByLastWrite(eventId)).toBe(1);
      await offlineHttp.delete(`/api/bookings/${cancelled}/`).set(leaving.headers).expect(200);
      expect(await owedByLastWrite(eventId)).toBe(1);
      await offlineHttp.post('/api/admin/users/bulk_delete/').set(staff.headers).send({ prefix }).expect(200);
      expect(await owedByLastWrite(eventId)).toBe(1);
      await offlineHttp.delete(`/api/admin/events/${eventId}/delete/`).set(staff.headers).expect(200);
      expect(await owedByLastWrite(eventId)).toBe(1);
      await dataSource.query(`DELETE FROM cache_bumps_owed WHERE $1 = ANY(version_keys)`, [
        cacheKeys.eventVersion(eventId),
      ]);
    });
  });
});
