import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions } from 'fastify';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';

import { BookingAllocator, BookingIntake } from '@evently/bookings';
import { NotFoundError } from '@evently/common';
import { PG_LOCK_NOT_AVAILABLE, postgresErrorCode } from '@evently/database';
import { jobIds } from '@evently/queue';
import { createEvent, eventually, loginAs, TEST_PASSWORD, TestSession } from '@evently/testing';

import { marker, seedBookings } from '../support/event-fixtures';
import { holding, waitForBlocked } from '../support/lock-waits';
import { createTestApp } from '../support/test-app';

const MISSING_USER_ID = 2_147_483_000;
/** What jest's fake timers take over, less the clock: `Date` and `performance` alone are faked. */
const TIMERS_BUT_THE_CLOCK: FakeableAPI[] = [
  'hrtime',
  'nextTick',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
];

/** Writers that meet on the same rows, each interleaving forced with a lock the test holds. */
describe('writers meeting on the same rows', () => {
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let db: Pool;
  let staff: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    db = new Pool({ connectionString: process.env.DATABASE_URL, max: 3 });
    staff = await loginAs(app, 'staff');
  });
  afterAll(async () => {
    await db.end();
    await app.close();
  });

  /** Staff's bulk delete of the users whose names start with `prefix`, sent without waiting for its answer. */
  const bulkDelete = (prefix: string) =>
    app.inject({
      method: 'POST',
      url: '/api/admin/users/bulk_delete/',
      headers: { ...staff.headers, 'content-type': 'application/json' },
      payload: { prefix },
    });
  const statusesOf = async (eventId: string) =>
    (await dataSource.query(`SELECT status FROM bookings WHERE event_id = $1`, [eventId])) as { status: string }[];
  /** An event of 10 seats and one booking of it, accepted and not yet settled. */
  const acceptedBooking = async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
    const buyer = await loginAs(app);
    const booking = await app.get(BookingIntake).accept({ userId: buyer.user.id, eventId, ticketCount: 1 });
    return { eventId, buyer, booking };
  };

  it('bulk delete deadlocked with a batch of bookings by the users it deletes: the delete wins, no booking is left', async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
    const prefix = `${marker()}_`;
    const first = await loginAs(app, 'user', `${prefix}a`);
    const second = await loginAs(app, 'user', `${prefix}b`);
    expect(first.user.id).toBeLessThan(second.user.id);
    const intake = app.get(BookingIntake);

    // Bulk delete locks the first user, then waits for the second, which the test holds with a share lock. The
    // batch, the second user's request first, checks its foreign keys in arrival order: it holds the second user (a
    // share lock, which the test's does not block) and waits for the first; once the test lets go, bulk delete waits
    // for the second: a deadlock. The batch, waiting longest, is its victim, and tries each request alone.
    const [deleted, outcomes] = await holding(
      db,
      `SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE`,
      [second.user.id],
      async () => {
        const deleting = bulkDelete(prefix);
        await waitForBlocked(db, 'ORDER BY u.id FOR UPDATE');
        const booking = (session: TestSession) =>
          intake.accept({ userId: session.user.id, eventId, ticketCount: 1 }).catch((error: Error) => error);
        const batch = Promise.all([booking(second), booking(first)]);
        await waitForBlocked(db, 'INSERT INTO bookings');
        return [deleting, batch] as const;
      },
    );

    expect((await deleted).json()).toEqual({ deleted_users: 2, prefix });
    // Retried alone, each booking meets the deletion: refused once its user is gone, or, when its retry takes the
    // user's row before the deletion does (seen once in CI), accepted just before and deleted with the user. Never
    // the deadlock itself.
    for (const outcome of await outcomes) {
      if (outcome instanceof Error) expect(outcome.message).toBe('User not found.');
      else expect(outcome).toMatchObject({ status: 'processing' });
    }
    expect(await statusesOf(eventId)).toEqual([]);
  });

  it("bulk delete as a settlement confirms a deleted user's booking: the seat it took comes back with it", async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
    const prefix = `${marker()}_`;
    const booker = await loginAs(app, 'user', `${prefix}a`);
    const [bookingId] = await seedBookings(dataSource, { eventId, userId: booker.user.id, status: 'processing' });
    const settlement = await db.connect();
    try {
      // What a worker's settlement does, held open until the deletion waits on it.
      await settlement.query('BEGIN');
      await settlement.query(`SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, [eventId]);
      await settlement.query(`UPDATE bookings SET status = 'confirmed', confirmed_at = now() WHERE id = $1`, [
        bookingId,
      ]);
      await settlement.query(`UPDATE events SET booked_tickets = booked_tickets + 1 WHERE id = $1`, [eventId]);
      const deleting = bulkDelete(prefix);
      await waitForBlocked(db, 'SELECT id FROM events WHERE id IN (SELECT event_id FROM bookings');
      await settlement.query('COMMIT');
      expect((await deleting).json()).toEqual({ deleted_users: 1, prefix });
    } finally {
      settlement.release();
    }
    const [{ booked }] = await dataSource.query(`SELECT booked_tickets AS booked FROM events WHERE id = $1`, [eventId]);
    expect([booked, await statusesOf(eventId)]).toEqual([0, []]);
  });

  /** Sends `request` while the test deletes its user uncommitted, as a bulk delete does; commits once it waits. */
  async function sentAsItsUserIsDeleted(userId: number, request: InjectOptions, waitsOn: string) {
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM users WHERE id = $1', [userId]);
      const response = app.inject(request);
      await waitForBlocked(db, waitsOn);
      await client.query('COMMIT');
      return await response;
    } finally {
      client.release();
    }
  }

  it("a login as its user's deletion commits is the 400 of an unknown user, not a 500", async () => {
    const { user } = await loginAs(app);
    const response = await sentAsItsUserIsDeleted(
      user.id,
      { method: 'POST', url: '/api/user/auth/login/', payload: { username: user.username, password: TEST_PASSWORD } },
      'last_login',
    );
    expect([response.statusCode, response.json()]).toEqual([
      400,
      { error: 'Unable to log in with provided credentials.', details: null },
    ]);
  });

  it.each([
    ['with an Idempotency-Key', { 'idempotency-key': randomUUID() }, 'INSERT INTO idempotency_keys'],
    ['without one', {}, 'INSERT INTO bookings'],
  ])(
    "a booking %s as its booker's deletion commits is the 404 of an unknown booker, not a 500, and leaves no booking",
    async (_, keyHeader, blockedStatement) => {
      const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
      const booker = await loginAs(app);
      const response = await sentAsItsUserIsDeleted(
        booker.user.id,
        {
          method: 'POST',
          url: '/api/bookings/',
          headers: { ...booker.headers, ...keyHeader },
          payload: { event_id: eventId, number_of_tickets: 1 },
        },
        blockedStatement,
      );
      expect([response.statusCode, response.json()]).toEqual([404, { error: 'User not found.', details: null }]);
      expect(await statusesOf(eventId)).toEqual([]);
    },
  );

  it('a batch keeps its requests in arrival order: the one that came first gets the last seat', async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 1 });
    const [earlierUser, laterUser] = [await loginAs(app), await loginAs(app)];
    const intake = app.get(BookingIntake);
    // One batch (the intake gathers what arrives in one turn), the later-registered user's request first.
    const [first, second] = await Promise.all(
      [laterUser, earlierUser].map((session) => intake.accept({ userId: session.user.id, eventId, ticketCount: 1 })),
    );
    await app.get(BookingAllocator).settleEvents([eventId]);
    const statuses: { id: string; status: string }[] = await dataSource.query(
      `SELECT id, status FROM bookings WHERE event_id = $1`,
      [eventId],
    );
    expect(Object.fromEntries(statuses.map(({ id, status }) => [id, status]))).toEqual({
      [first.id]: 'confirmed',
      [second.id]: 'failed',
    });
  });

  /**
   * A booking of `userId`'s whose statement reads the event live, then waits for its foreign key on the user, which
   * the test holds, while staff's `change` to the event commits and cannot see the row that is not yet inserted.
   */
  async function acceptedAsItCommits(eventId: string, userId: number, change: Omit<InjectOptions, 'headers'>) {
    return holding(db, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId], async () => {
      const booking = app.get(BookingIntake).accept({ userId, eventId, ticketCount: 1 });
      await waitForBlocked(db, 'INSERT INTO bookings');
      const changed = await app.inject({ ...change, headers: staff.headers });
      return [booking, changed] as const;
    });
  }

  it("a booking accepted as its event's deletion committed ends cancelled and its holder told, as the others", async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
    const [early, late] = [await loginAs(app), await loginAs(app)];
    const intake = app.get(BookingIntake);
    await intake.accept({ userId: early.user.id, eventId, ticketCount: 1 });

    const [accepting, deletion] = await acceptedAsItCommits(eventId, late.user.id, {
      method: 'DELETE',
      url: `/api/admin/events/${eventId}/delete/`,
    });
    expect(deletion.statusCode).toBe(200);
    expect((await accepting).status).toBe('processing');

    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({ confirmed: 0, failed: 0, cancelled: 1 });
    expect(await statusesOf(eventId)).toEqual([{ status: 'cancelled' }, { status: 'cancelled' }]);
    const told: { job_id: string }[] = await dataSource.query(
      `SELECT job_id FROM outbox WHERE job_name = 'event-cancelled' AND payload->>'eventId' = $1 ORDER BY job_id`,
      [eventId],
    );
    expect(told.map(({ job_id: jobId }) => jobId)).toEqual(
      [jobIds.eventCancelled(eventId, early.user.id), jobIds.eventCancelled(eventId, late.user.id)].sort(),
    );
  });

  it("a booking accepted as its event's deactivation committed gets its 201, then fails: the event is not active", async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
    const late = await loginAs(app);
    const [accepting, deactivation] = await acceptedAsItCommits(eventId, late.user.id, {
      method: 'PUT',
      url: `/api/admin/events/${eventId}/`,
      payload: { is_active: false },
    });
    expect(deactivation.statusCode).toBe(200);
    expect((await accepting).status).toBe('processing');

    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({ confirmed: 0, failed: 1, cancelled: 0 });
    const [booking] = await dataSource.query(`SELECT status, failure_reason FROM bookings WHERE event_id = $1`, [
      eventId,
    ]);
    expect(booking).toEqual({ status: 'failed', failure_reason: 'event is not active' });
    const [event] = await dataSource.query(`SELECT booked_tickets FROM events WHERE id = $1`, [eventId]);
    expect(event.booked_tickets).toBe(0);
  });

  it('a late booking of an event deleted before it started is cancelled, and its holder told, even once it would have started', async () => {
    const { eventId, buyer } = await acceptedBooking();
    // As if the deletion had committed unseen by this booking, and no worker came to it before the event's time.
    await dataSource.query(
      `UPDATE events SET deleted_at = now() - interval '2 minutes', time = now() - interval '1 minute' WHERE id = $1`,
      [eventId],
    );

    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({ confirmed: 0, failed: 0, cancelled: 1 });
    const told = await dataSource.query(`SELECT 1 FROM outbox WHERE job_id = $1`, [
      jobIds.eventCancelled(eventId, buyer.user.id),
    ]);
    expect(told).toHaveLength(1);
  });

  it('a late booking of an event deleted after it started fails as started: the event took place, nobody is told it was cancelled', async () => {
    const { eventId } = await acceptedBooking();
    // As if no worker came to this booking before the event's time, and the event was deleted once it had started.
    await dataSource.query(
      `UPDATE events SET time = now() - interval '2 minutes', deleted_at = now() - interval '1 minute' WHERE id = $1`,
      [eventId],
    );

    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({ confirmed: 0, failed: 1, cancelled: 0 });
    expect(
      await dataSource.query(`SELECT status, failure_reason FROM bookings WHERE event_id = $1`, [eventId]),
    ).toEqual([{ status: 'failed', failure_reason: 'event has already started' }]);
    const told = await dataSource.query(`SELECT 1 FROM outbox WHERE payload->>'eventId' = $1`, [eventId]);
    expect(told).toEqual([]);
  });

  it('a settlement hands its confirmation mail to Redis as it commits, without waiting for the relay', async () => {
    const { eventId, booking } = await acceptedBooking();

    // No worker here runs the outbox relay: what is published, the settlement published itself.
    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({ confirmed: 1, failed: 0, cancelled: 0 });
    const [mail] = await dataSource.query(`SELECT published_at FROM outbox WHERE job_id = $1`, [
      jobIds.bookingConfirmed(booking.id),
    ]);
    expect(mail.published_at).toBeInstanceOf(Date);
  });

  it("a batch that timed out on bookers' rows a bulk delete holds fails only their requests, the others get through", async () => {
    const eventId = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 10 });
    const [held, other] = [await loginAs(app), await loginAs(app)];
    const intake = app.get(BookingIntake);
    const bookingsOf = (userId: number) =>
      dataSource.query(`SELECT 1 FROM bookings WHERE event_id = $1 AND user_id = $2`, [eventId, userId]);

    // The test holds the booker's row as a long bulk delete would, past the batch statement's lock timeout.
    const [batch] = await holding(db, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [held.user.id], async () => {
      const accepting = Promise.all(
        [held.user.id, other.user.id, MISSING_USER_ID].map((userId) =>
          intake.accept({ userId, eventId, ticketCount: 1 }).catch((error: Error) => error),
        ),
      );
      await eventually(async () => ((await bookingsOf(other.user.id)).length > 0 ? true : undefined), 15_000, 100);
      return [accepting] as const;
    });
    const outcomes = await batch;

    const answers = outcomes.map((outcome) =>
      outcome instanceof NotFoundError ? 404 : outcome instanceof Error ? postgresErrorCode(outcome) : outcome.status,
    );
    expect(answers).toEqual([PG_LOCK_NOT_AVAILABLE, 'processing', 404]);
    expect(await bookingsOf(held.user.id)).toEqual([]);
  }, 30_000);

  it('cancelling a booking deleted while the cancel waited for its event is 404, not 409', async () => {
    const { eventId, buyer, booking } = await acceptedBooking();

    const [cancelling] = await holding(
      db,
      `SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`,
      [eventId],
      async () => {
        const cancel = app.inject({ method: 'DELETE', url: `/api/bookings/${booking.id}/`, headers: buyer.headers });
        await waitForBlocked(db, 'FROM events WHERE id = $1 FOR NO KEY UPDATE');
        await db.query(`DELETE FROM bookings WHERE id = $1`, [booking.id]);
        return [cancel] as const;
      },
    );
    const response = await cancelling;

    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'Booking not found.', details: null });
  });

  /**
   * An event with one booking accepted (and settled, if asked), then moved to start in a second: however slow the
   * setup, the event has not started when the test's lock is taken.
   */
  async function bookedEventStartingSoon({ settled = false } = {}) {
    const { eventId } = await acceptedBooking();
    if (settled) await app.get(BookingAllocator).settleEvents([eventId]);
    const [{ starts_at: startsAt }] = await dataSource.query(
      `WITH moved AS (UPDATE events SET time = now() + interval '1 second' WHERE id = $1 RETURNING time)
       SELECT time AS starts_at FROM moved`,
      [eventId],
    );
    return { eventId, startsAt: (startsAt as Date).getTime() };
  }

  it('a settlement that waited for its event past the start fails the booking as started, however early it began', async () => {
    const { eventId, startsAt } = await bookedEventStartingSoon();

    // A tuple: returned alone, the promise would be awaited while the lock is still held.
    const [settling] = await holding(db, `SELECT 1 FROM events WHERE id = $1 FOR UPDATE`, [eventId], async () => {
      const settlement = app.get(BookingAllocator).settleEvents([eventId]);
      await waitForBlocked(db, 'ORDER BY id FOR NO KEY UPDATE');
      await setTimeout(startsAt + 300 - Date.now());
      return [settlement] as const;
    });

    expect(await settling).toEqual({ confirmed: 0, failed: 1, cancelled: 0 });
    expect(
      await dataSource.query(`SELECT status, failure_reason FROM bookings WHERE event_id = $1`, [eventId]),
    ).toEqual([{ status: 'failed', failure_reason: 'event has already started' }]);
  });

  it('a deletion that waited for its event past the start only removes it from view: bookings kept, nobody told', async () => {
    const { eventId, startsAt } = await bookedEventStartingSoon({ settled: true });

    const [deleting] = await holding(db, `SELECT 1 FROM events WHERE id = $1 FOR UPDATE`, [eventId], async () => {
      const deletion = app.inject({
        method: 'DELETE',
        url: `/api/admin/events/${eventId}/delete/`,
        headers: staff.headers,
      });
      await waitForBlocked(db, 'SELECT organizer_id FROM events');
      await setTimeout(startsAt + 300 - Date.now());
      return [deletion] as const;
    });

    expect((await deleting).statusCode).toBe(200);
    expect(await statusesOf(eventId)).toEqual([{ status: 'confirmed' }]);
    const told = await dataSource.query(`SELECT 1 FROM outbox WHERE payload->>'eventId' = $1`, [eventId]);
    expect(told).toEqual([]);
  });

  it('a worker whose clock runs ahead still confirms a booking for an event that has not started', async () => {
    const eventId = await createEvent(dataSource, {
      organizerId: staff.user.id,
      capacity: 10,
      time: new Date(Date.now() + 60 * 60_000),
    });
    const buyer = await loginAs(app);
    await app.get(BookingIntake).accept({ userId: buyer.user.id, eventId, ticketCount: 1 });

    // Only the clock moves (Date.now and new Date alike); the timers the database and Redis clients use stay real.
    jest.useFakeTimers({ now: Date.now() + 2 * 60 * 60_000, doNotFake: TIMERS_BUT_THE_CLOCK });
    try {
      expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({
        confirmed: 1,
        failed: 0,
        cancelled: 0,
      });
    } finally {
      jest.useRealTimers();
    }
    expect(await statusesOf(eventId)).toEqual([{ status: 'confirmed' }]);
  });

  it('settles a job of many events a hundred at a time, so no transaction holds every one of their rows', async () => {
    const allocator = app.get(BookingAllocator);
    const eventIds = Array.from({ length: 250 }, () => randomUUID());
    const settled = jest.spyOn(allocator, 'settleEvents');
    try {
      await allocator.settlePending(eventIds);
      const groups = settled.mock.calls.map(([group]) => group);
      expect(groups.map((group) => group.length)).toEqual([100, 100, 50]);
      expect(groups.flat()).toEqual(eventIds);
    } finally {
      settled.mockRestore();
    }
  });
});
