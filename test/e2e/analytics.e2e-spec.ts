import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { eventVersionKeys, ResponseCache } from '@evently/cache';
import { dropDatabase, migrateDatabase } from '@evently/database';
import { createEvent, eventually, loginAs, TestSession, uniqueName } from '@evently/testing';

import { BookingRow, insertBookings } from '../support/booking-rows';
import { SmtpCapture } from '../support/smtp-capture';
import { createTestApp, startTestWorker } from '../support/test-app';
import { withEnv } from '../support/with-env';

const at = (iso: string) => new Date(iso);

describe('analytics: GET /api/admin/analytics/ and /api/admin/analytics/{event_id}/', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let staff: TestSession;
  let shared: Db;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = app.get(DataSource);
    staff = await loginAs(app, 'staff');
    const buyers = await Promise.all(Array.from({ length: 3 }, async () => (await loginAs(app)).user.id));
    shared = { dataSource, organizerId: staff.user.id, buyers };
  });
  afterAll(() => app.close());

  const newEvent = (capacity: number, name = uniqueName('Analytics'), db = shared) =>
    createEvent(db.dataSource, { organizerId: db.organizerId, capacity, name });
  const get = (path: string, session: TestSession = staff) => http.get(path).set(session.headers);
  const addBookings = (eventId: string, rows: Omit<BookingRow, 'eventId' | 'userId'>[], db = shared) =>
    insertBookings(
      db.dataSource,
      rows.map((row, index) => ({ eventId, userId: db.buyers[index % db.buyers.length], ...row })),
    );

  /**
   * Runs `test` against an app of its own over a freshly migrated database, which it drops after: the overview ranks
   * every live event, and on the shared database events other files left behind may crowd a test's out of the top 10.
   */
  async function onOwnDatabase(
    suffix: string,
    test: (own: NestFastifyApplication, ownStaff: TestSession, db: Db) => Promise<void>,
  ): Promise<void> {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += `_${suffix}`;
    await migrateDatabase(url.toString());
    const env = { DATABASE_URL: url.toString(), REDIS_PREFIX: `${process.env.REDIS_PREFIX}-${suffix}` };
    const own = await withEnv(env, createTestApp);
    try {
      const ownStaff = await loginAs(own, 'staff');
      const db = {
        dataSource: own.get(DataSource),
        organizerId: ownStaff.user.id,
        buyers: [(await loginAs(own)).user.id],
      };
      await test(own, ownStaff, db);
    } finally {
      await own.close();
      await dropDatabase(url.toString());
    }
  }

  /**
   * 7 bookings count (they were confirmed): 4 still confirmed with 2 + 1 + 3 + 1 = 7 tickets, 3 cancelled since.
   * Failed bookings and a booking cancelled before confirmation do not count.
   */
  async function seedFestival(eventId: string, db = shared): Promise<void> {
    await addBookings(
      eventId,
      [
        { status: 'confirmed', tickets: 2, bookedAt: at('2024-03-01T00:00:00Z') },
        { status: 'confirmed', tickets: 1, bookedAt: at('2024-03-01T23:59:59Z') },
        { status: 'cancelled', wasConfirmed: true, bookedAt: at('2024-03-01T12:00:00Z') },
        { status: 'failed', bookedAt: at('2024-03-01T13:00:00Z') },
        { status: 'cancelled', wasConfirmed: true, bookedAt: at('2024-03-02T00:00:00Z') },
        { status: 'cancelled', wasConfirmed: false, bookedAt: at('2024-03-02T10:00:00Z') },
        { status: 'failed', bookedAt: at('2024-03-03T10:00:00Z') },
        { status: 'confirmed', tickets: 3, bookedAt: at('2024-03-04T08:00:00Z') },
        { status: 'cancelled', wasConfirmed: true, bookedAt: at('2024-03-04T22:30:00Z') },
        { status: 'confirmed', tickets: 1, bookedAt: at('2024-03-04T23:00:00Z') },
      ],
      db,
    );
  }

  /**
   * The festival (7 counted bookings, 7 of 20 seats), one sold out (2 bookings, 4 of 4 seats), a quiet one (1
   * booking, cancelled since: no seat) and a deleted one (2 bookings that no longer count).
   */
  async function seedOverview(db = shared) {
    const festival = await newEvent(20, uniqueName('Festival'), db);
    await seedFestival(festival, db);
    const soldOut = await newEvent(4, uniqueName('Sold out'), db);
    await addBookings(
      soldOut,
      [
        { status: 'confirmed', tickets: 3 },
        { status: 'confirmed', tickets: 1 },
      ],
      db,
    );
    const quiet = await newEvent(1000, uniqueName('Quiet'), db);
    await addBookings(quiet, [{ status: 'cancelled', wasConfirmed: true }, { status: 'failed' }], db);
    const deleted = await newEvent(2, uniqueName('Deleted'), db);
    await addBookings(
      deleted,
      Array.from({ length: 2 }, () => ({ status: 'confirmed' as const })),
      db,
    );
    await db.dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
    return { festival, soldOut, quiet, deleted };
  }

  it('computes one event’s totals, cancellation rate and bookings per UTC day', async () => {
    const eventId = await newEvent(20);
    await seedFestival(eventId);

    const response = await get(`/api/admin/analytics/${eventId}/`).expect(200);

    expect(response.body).toEqual({
      event_id: eventId,
      total_bookings: 7,
      cancellation_rate: 42.9,
      daily_bookings: [
        { date: '2024-03-01', bookings: 3 },
        { date: '2024-03-02', bookings: 1 },
        { date: '2024-03-04', bookings: 3 },
      ],
    });
    await get(`/api/admin/analytics/${eventId}`).expect(200);
  });

  it('answers zeros for an event without bookings, and still reads a deleted event', async () => {
    const empty = await newEvent(5);
    expect((await get(`/api/admin/analytics/${empty}/`).expect(200)).body).toEqual({
      event_id: empty,
      total_bookings: 0,
      cancellation_rate: 0,
      daily_bookings: [],
    });

    const deleted = await newEvent(5);
    await addBookings(deleted, [{ status: 'confirmed', bookedAt: at('2024-05-05T05:05:05Z') }]);
    await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
    expect((await get(`/api/admin/analytics/${deleted}/`).expect(200)).body).toMatchObject({ total_bookings: 1 });
  });

  it('sums live events in the overview and ranks them, leaving deleted events out', async () => {
    // Other specs write bookings straight to the tables, past the cache: the overview they left cached may be behind.
    await app.get(ResponseCache).bump(eventVersionKeys([]));
    const before = (await get('/api/admin/analytics/').expect(200)).body;

    const { festival, soldOut, quiet, deleted } = await seedOverview();
    await app.get(ResponseCache).bump(eventVersionKeys([festival, soldOut, quiet, deleted]));

    const after = (await get('/api/admin/analytics').expect(200)).body;

    // festival 7 + sold out 2 + quiet 1 (cancelled after confirmation); the deleted event's 2 do not count.
    expect(after.total_bookings - before.total_bookings).toBe(10);
    const expected = await independentOverview();
    expect(after.total_bookings).toBe(expected.total);
    expectTopList(after.most_popular_events, expected.bookings, 'bookings');
    expectTopList(after.capacity_utilization, expected.utilization, 'utilization_percentage');

    const popular = new Map(after.most_popular_events.map((e: { event_id: string }) => [e.event_id, e]));
    const utilization = new Map(after.capacity_utilization.map((e: { event_id: string }) => [e.event_id, e]));
    expect(popular.has(deleted)).toBe(false);
    expect(utilization.has(deleted)).toBe(false);
    expect(utilization.has(quiet)).toBe(false);
  });

  it('counts and ranks each live event exactly, on a database of its own', async () => {
    await onOwnDatabase('overview', async (own, ownStaff, db) => {
      const { festival, soldOut, quiet } = await seedOverview(db);
      // Equal as shown (5.0 %), though 1 seat of 20 is more than 5 of 101: ordered by name, as shown ties are.
      const tieB = await newEvent(20, 'Tie B', db);
      await addBookings(tieB, [{ status: 'confirmed', tickets: 1 }], db);
      const tieA = await newEvent(101, 'Tie A', db);
      await addBookings(tieA, [{ status: 'confirmed', tickets: 5 }], db);

      const { body } = await request(own.getHttpServer())
        .get('/api/admin/analytics/')
        .set(ownStaff.headers)
        .expect(200);

      expect(body).toMatchObject({
        total_bookings: 12,
        most_popular_events: [
          { event_id: festival, bookings: 7 },
          { event_id: soldOut, bookings: 2 },
          { event_id: quiet, bookings: 1 },
          { event_id: tieA, bookings: 1 },
          { event_id: tieB, bookings: 1 },
        ],
        capacity_utilization: [
          { event_id: soldOut, utilization_percentage: 100 },
          { event_id: festival, utilization_percentage: 35 },
          { event_id: tieA, utilization_percentage: 5 },
          { event_id: tieB, utilization_percentage: 5 },
        ],
      });
    });
  });

  it('lists only the top 10, totals every live event beyond them, and rounds utilization to one decimal', async () => {
    await onOwnDatabase('top10', async (own, ownStaff, db) => {
      // 11 live events, one seat of 3 booked in each (33.3 %): the 11th by name is left out of both lists.
      const ids: string[] = [];
      for (let i = 0; i < 11; i++) {
        const id = await newEvent(3, `Top ${String(i).padStart(2, '0')}`, db);
        await addBookings(id, [{ status: 'confirmed', tickets: 1 }], db);
        ids.push(id);
      }
      const { body } = await request(own.getHttpServer())
        .get('/api/admin/analytics/')
        .set(ownStaff.headers)
        .expect(200);
      expect(body.total_bookings).toBe(11);
      expect(body.most_popular_events.map((e: { event_id: string }) => e.event_id)).toEqual(ids.slice(0, 10));
      expect(body.capacity_utilization).toHaveLength(10);
      for (const entry of body.capacity_utilization) expect(entry.utilization_percentage).toBe(33.3);
    });
  });

  it('does not count a booking still processing', async () => {
    const eventId = await newEvent(10);
    await addBookings(eventId, [{ status: 'confirmed', bookedAt: at('2024-06-01T10:00:00Z') }]);
    const [pending] = await addBookings(eventId, [{ status: 'processing', bookedAt: at('2024-06-02T10:00:00Z') }]);
    try {
      expect((await get(`/api/admin/analytics/${eventId}/`).expect(200)).body).toEqual({
        event_id: eventId,
        total_bookings: 1,
        cancellation_rate: 0,
        daily_bookings: [{ date: '2024-06-01', bookings: 1 }],
      });
    } finally {
      await dataSource.query(`DELETE FROM bookings WHERE id = $1`, [pending]);
    }
  });

  it('serves analytics from the cache, and fresh as soon as a booking changes', async () => {
    const smtp = await SmtpCapture.start();
    process.env.EMAIL_HOST = '127.0.0.1';
    process.env.EMAIL_PORT = String(smtp.port);
    const worker: INestApplicationContext = await startTestWorker();
    try {
      const eventId = await newEvent(10);
      await addBookings(eventId, [{ status: 'confirmed', bookedAt: at('2024-02-02T10:00:00Z') }]);
      expect((await get(`/api/admin/analytics/${eventId}/`).expect(200)).body.total_bookings).toBe(1);

      // Written behind the api's back, so nothing invalidates: the cached answer stays.
      await addBookings(eventId, [{ status: 'confirmed', bookedAt: at('2024-02-03T10:00:00Z') }]);
      expect((await get(`/api/admin/analytics/${eventId}/`).expect(200)).body.total_bookings).toBe(1);

      const buyer = await loginAs(app);
      const created = await http
        .post('/api/bookings/')
        .set(buyer.headers)
        .send({ event_id: eventId, number_of_tickets: 1 })
        .expect(201);
      const confirmed = await eventually(async () => {
        const body = (await get(`/api/admin/analytics/${eventId}/`).expect(200)).body;
        return body.total_bookings === 3 ? body : undefined;
      });
      expect(confirmed.cancellation_rate).toBe(0);

      await http.delete(`/api/bookings/${created.body.id}/`).set(buyer.headers).expect(200);
      const afterCancel = (await get(`/api/admin/analytics/${eventId}/`).expect(200)).body;
      expect(afterCancel).toMatchObject({ total_bookings: 3, cancellation_rate: 33.3 });
    } finally {
      await worker.close();
      await smtp.stop();
    }
  });

  it('is for staff only, and answers 404 for unknown or malformed event ids', async () => {
    const user = await loginAs(app);
    await http.get('/api/admin/analytics/').expect(401);
    await get('/api/admin/analytics/', user).expect(403);
    const eventId = await newEvent(5);
    await get(`/api/admin/analytics/${eventId}/`, user).expect(403);
    await get('/api/admin/analytics/00000000-0000-4000-8000-000000000000/').expect(404);
    await get('/api/admin/analytics/not-a-uuid/').expect(404);
  });

  /** The overview computed from raw rows in TypeScript, as an oracle for data other test files left behind. */
  async function independentOverview() {
    const events: { id: string; capacity: number; deleted: boolean }[] = await dataSource.query(
      `SELECT id, capacity, deleted_at IS NOT NULL AS deleted FROM events`,
    );
    const bookings: { event_id: string; status: string; ticket_count: number; counted: boolean }[] =
      await dataSource.query(
        `SELECT event_id, status, ticket_count, confirmed_at IS NOT NULL AS counted FROM bookings`,
      );
    const live = events.filter((event) => !event.deleted);
    const countedOf = (id: string) => bookings.filter((b) => b.event_id === id && b.counted).length;
    const ticketsOf = (id: string) =>
      bookings.filter((b) => b.event_id === id && b.status === 'confirmed').reduce((sum, b) => sum + b.ticket_count, 0);
    return {
      total: live.reduce((sum, event) => sum + countedOf(event.id), 0),
      bookings: new Map(live.filter((e) => countedOf(e.id) > 0).map((e) => [e.id, countedOf(e.id)])),
      utilization: new Map(
        live
          .filter((e) => ticketsOf(e.id) > 0)
          .map((e) => [e.id, Math.round((ticketsOf(e.id) * 1000) / e.capacity) / 10]),
      ),
    };
  }
});

/** Where a test's rows go: the shared test database, or one of its own. */
interface Db {
  dataSource: DataSource;
  organizerId: number;
  buyers: number[];
}

/** The list holds the top 10 by value, most first, with the right value for each; ties may come in any order. */
function expectTopList(list: Record<string, string | number>[], all: Map<string, number>, field: string): void {
  const values = list.map((entry) => entry[field] as number);
  expect(list.length).toBe(Math.min(10, all.size));
  expect([...values].sort((a, b) => b - a)).toEqual(values);
  for (const entry of list) expect(entry[field]).toBe(all.get(entry.event_id as string));
  const cutoff = values.at(-1) ?? Infinity;
  const listed = new Set(list.map((entry) => entry.event_id));
  for (const [id, value] of all) if (!listed.has(id)) expect(value).toBeLessThanOrEqual(cutoff);
}
