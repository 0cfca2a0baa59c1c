import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';

import { BookingAllocator, SETTLE_BATCH_SIZE } from '@evently/bookings';
import { createEvent, loginAs } from '@evently/testing';

import { BookingSweeper } from '../../apps/worker/src/bookings/booking-sweeper.service';
import { seedBookings } from '../support/event-fixtures';
import { holding } from '../support/lock-waits';
import { createTestApp } from '../support/test-app';

/** The sweeper settles stuck bookings group by group (100 events), batch by batch, and a shutdown ends it between two. */
describe('booking sweeper', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  /** Events with one booking each left `processing` a minute ago, as if its settle signal were lost: 101 make two groups. */
  async function eventsWithStuckBookings(count: number): Promise<string[]> {
    const dataSource = app.get(DataSource);
    const booker = await loginAs(app, 'user');
    const eventIds: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const eventId = await createEvent(dataSource, { organizerId: booker.user.id });
      await seedBookings(dataSource, { eventId, userId: booker.user.id, status: 'processing' });
      eventIds.push(eventId);
    }
    await dataSource.query(
      `UPDATE bookings SET booking_date = now() - interval '1 minute' WHERE event_id = ANY($1::uuid[])`,
      [eventIds],
    );
    return eventIds;
  }

  it('stops after the group in hand when its worker shuts down, leaving the rest to the next sweep', async () => {
    const dataSource = app.get(DataSource);
    const allocator = app.get(BookingAllocator);
    const eventIds = await eventsWithStuckBookings(101);
    const stopping = new AbortController();
    // Stands for the worker's shutdown arriving while the first batch settles, one that filled a whole batch (so
    // more may be waiting in the group): neither that group's next batch nor the next group runs.
    const settle = jest
      .spyOn(allocator, 'settleEvents')
      .mockImplementationOnce(async () => {
        stopping.abort();
        return { confirmed: SETTLE_BATCH_SIZE, failed: 0, cancelled: 0 };
      })
      .mockResolvedValue({ confirmed: 0, failed: 0, cancelled: 0 });
    try {
      await new BookingSweeper(dataSource, allocator).sweep(stopping.signal);
      expect(settle).toHaveBeenCalledTimes(1);
    } finally {
      settle.mockRestore();
    }

    await new BookingSweeper(dataSource, allocator).sweep();
    const [{ stuck }] = await dataSource.query(
      `SELECT count(*)::int AS stuck FROM bookings WHERE event_id = ANY($1::uuid[]) AND status = 'processing'`,
      [eventIds],
    );
    expect(stuck).toBe(0);
  });

  it('sweeps the other groups when one fails, leaving only the failed group to the next tick', async () => {
    const dataSource = app.get(DataSource);
    const allocator = app.get(BookingAllocator);
    const eventIds = await eventsWithStuckBookings(101);
    const stuckEvents = async () =>
      (
        (await dataSource.query(
          `SELECT DISTINCT event_id FROM bookings WHERE event_id = ANY($1::uuid[]) AND status = 'processing'`,
          [eventIds],
        )) as { event_id: string }[]
      )
        .map(({ event_id: eventId }) => eventId)
        .sort();
    // Stands for a group whose settlement fails (a lock timeout): 101 events make at least two groups.
    const settle = jest
      .spyOn(allocator, 'settleEvents')
      .mockRejectedValueOnce(new Error('canceling statement due to lock timeout'));
    let failedGroup: string[] = [];
    try {
      await new BookingSweeper(dataSource, allocator).sweep();
      failedGroup = settle.mock.calls[0][0];
    } finally {
      settle.mockRestore();
    }

    expect(await stuckEvents()).toEqual(eventIds.filter((eventId) => failedGroup.includes(eventId)).sort());
    await new BookingSweeper(dataSource, allocator).sweep();
    expect(await stuckEvents()).toEqual([]);
  });

  it('settles a backlog larger than one batch first come, first served: the oldest bookings get the seats', async () => {
    const dataSource = app.get(DataSource);
    const booker = await loginAs(app, 'user');
    const eventId = await createEvent(dataSource, { organizerId: booker.user.id, capacity: 5 });
    const backlog: { id: string }[] = await dataSource.query(
      `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, booking_date)
       SELECT $1, $2, 1, 10, 'processing', now() - interval '1 hour' + g * interval '1 millisecond'
         FROM generate_series(1, $3) AS g ORDER BY g
       RETURNING id`,
      [eventId, booker.user.id, SETTLE_BATCH_SIZE + 5],
    );

    await app.get(BookingAllocator).settlePending([eventId]);

    const outcome: { status: string; failure_reason: string | null; ids: string[] }[] = await dataSource.query(
      `SELECT status, failure_reason, array_agg(id::text ORDER BY booking_date) AS ids
         FROM bookings WHERE event_id = $1 GROUP BY status, failure_reason ORDER BY status`,
      [eventId],
    );
    expect(outcome.map(({ status, failure_reason, ids }) => [status, failure_reason, ids.length])).toEqual([
      ['confirmed', null, 5],
      ['failed', 'sold out', SETTLE_BATCH_SIZE],
    ]);
    expect(outcome[0].ids).toEqual(backlog.slice(0, 5).map((booking) => booking.id));
    const [{ booked }] = await dataSource.query(`SELECT booked_tickets AS booked FROM events WHERE id = $1`, [eventId]);
    expect(booked).toBe(5);
  });

  it('sweeps past an event another transaction holds, leaving it to the next tick, instead of waiting out the lock', async () => {
    const dataSource = app.get(DataSource);
    const allocator = app.get(BookingAllocator);
    const booker = await loginAs(app, 'user');
    const [held, free] = [
      await createEvent(dataSource, { organizerId: booker.user.id }),
      await createEvent(dataSource, { organizerId: booker.user.id }),
    ];
    for (const eventId of [held, free]) {
      await seedBookings(dataSource, { eventId, userId: booker.user.id, status: 'processing' });
    }
    await dataSource.query(
      `UPDATE bookings SET booking_date = now() - interval '1 minute' WHERE event_id = ANY($1::uuid[])`,
      [[held, free]],
    );
    const statuses = async () =>
      Object.fromEntries(
        (
          await dataSource.query(`SELECT event_id, status FROM bookings WHERE event_id = ANY($1::uuid[])`, [
            [held, free],
          ])
        ).map((row: { event_id: string; status: string }) => [row.event_id === held ? 'held' : 'free', row.status]),
      );

    const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    try {
      // As a long deletion, or another worker's settlement, holds the event's row.
      await holding(db, `SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, [held], async () => {
        await new BookingSweeper(dataSource, allocator).sweep();
        expect(await statuses()).toEqual({ held: 'processing', free: 'confirmed' });
      });
    } finally {
      await db.end();
    }
    await new BookingSweeper(dataSource, allocator).sweep();
    expect(await statuses()).toEqual({ held: 'confirmed', free: 'confirmed' });
  });
});
