import { setTimeout as sleep } from 'node:timers/promises';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { BookingAllocator, SettleResult } from '@evently/bookings';
import { createEvent, eventually, inventoryOf, loginAs, TestSession } from '@evently/testing';

import { seedBookings } from '../support/event-fixtures';
import { holding, waitForBlocked } from '../support/lock-waits';
import { createTestApp, dataSourceOf } from '../support/test-app';

/** The statements that wait for the event's row lock: the allocator's, then the api's capacity update. */
const ALLOCATOR_LOCK = 'ORDER BY id FOR NO KEY UPDATE';
const CAPACITY_UPDATE = 'UPDATE events SET capacity';

/** 60 pending one-ticket bookings of a 100-seat event, shrunk to 30: what each order of the two must leave. */
const SHRINK_FIRST = {
  status: 200,
  capacity: 30,
  booked_tickets: 30,
  unsettled: 0,
  settled: { confirmed: 30, failed: 30, cancelled: 0 },
};
const SETTLEMENT_FIRST = {
  status: 409,
  capacity: 100,
  booked_tickets: 60,
  unsettled: 0,
  settled: { confirmed: 60, failed: 0, cancelled: 0 },
};

/**
 * Lowering capacity while bookings settle: the decision must be made by the database under the event's
 * row lock, so a settlement that lands at the same moment is either seen (409) or sees the new capacity.
 */
describe('capacity shrink racing booking settlement', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let db: Pool;
  let organizer: TestSession;
  let buyer: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    db = new Pool({ connectionString: process.env.DATABASE_URL, max: 3 });
    organizer = await loginAs(app, 'staff');
    buyer = await loginAs(app, 'user');
  });
  afterAll(async () => {
    await db.end();
    await app.close();
  });

  const shrink = (eventId: string, capacity: number) =>
    http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ capacity });

  async function expectConsistent(eventId: string) {
    const inventory = await inventoryOf(dataSource, eventId);
    expect(inventory.booked_tickets).toBe(inventory.confirmed_tickets);
    expect(inventory.booked_tickets).toBeLessThanOrEqual(inventory.capacity);
    return inventory;
  }

  async function eventWithPendingBookings(): Promise<string> {
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 100 });
    await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'processing', count: 60 });
    return eventId;
  }

  /** What the shrink to 30 and the settlement left, once the inventory and the availability shown are checked. */
  async function outcomeOf(eventId: string, response: request.Response, settled: SettleResult) {
    const { capacity, booked_tickets, unsettled } = await expectConsistent(eventId);
    const availability = await http.get(`/api/events/${eventId}/availability/`).expect(200);
    expect(availability.body.available_tickets).toBe(capacity - booked_tickets);
    return { status: response.status, capacity, booked_tickets, unsettled, settled };
  }

  it('refuses the shrink (409) when the settlement holding the row lock commits first', async () => {
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 100 });
    const pending = await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'processing', count: 60 });

    // A settlement in progress: it holds the event row lock, as BookingAllocator does, while it confirms.
    const settlement = dataSource.createQueryRunner();
    await settlement.connect();
    await settlement.startTransaction();
    try {
      await settlement.query(`SELECT 1 FROM events WHERE id = $1 FOR UPDATE`, [eventId]);
      const response = shrink(eventId, 30).then((res) => res);
      await eventually(async () => {
        const [row] = await dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE events SET capacity%'`,
        );
        return row.waiting > 0 ? true : undefined;
      });
      await settlement.query(`UPDATE bookings SET status = 'confirmed', confirmed_at = now() WHERE id = ANY($1)`, [
        pending,
      ]);
      await settlement.query(`UPDATE events SET booked_tickets = booked_tickets + 60 WHERE id = $1`, [eventId]);
      await settlement.commitTransaction();

      const refused = await response;
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({ error: expect.any(String), details: { booked_tickets: 60 } });
    } finally {
      if (settlement.isTransactionActive) await settlement.rollbackTransaction();
      await settlement.release();
    }
    expect(await expectConsistent(eventId)).toMatchObject({ capacity: 100, booked_tickets: 60 });
  });

  it('settles within the new capacity when the shrink commits first', async () => {
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 100 });
    await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'processing', count: 60 });
    await shrink(eventId, 30).expect(200);
    expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({
      confirmed: 30,
      failed: 30,
      cancelled: 0,
    });
    expect(await expectConsistent(eventId)).toMatchObject({ capacity: 30, booked_tickets: 30, unsettled: 0 });
    await http.get(`/api/events/${eventId}/availability/`).expect(200, { event_id: eventId, available_tickets: 0 });
  });

  it.each([
    ['the settlement', 'refuses the shrink (409)', SETTLEMENT_FIRST],
    ['the shrink', 'settles within the new capacity', SHRINK_FIRST],
  ] as const)(
    'with the real allocator and api both waiting on the event row lock, %s queued first: %s',
    async (first, _outcome, expected) => {
      const eventId = await eventWithPendingBookings();
      let shrinking!: Promise<request.Response>;
      let settling!: Promise<SettleResult>;
      const queueShrink = async () => {
        shrinking = shrink(eventId, 30).then((response) => response);
        await waitForBlocked(db, CAPACITY_UPDATE);
      };
      const queueSettlement = async () => {
        settling = app.get(BookingAllocator).settleEvents([eventId]);
        await waitForBlocked(db, ALLOCATOR_LOCK);
      };

      // Another writer holds the event, as a settlement in another worker would. Row lock waiters are served in
      // the order they queued, so the one queued first decides first once it lets go.
      await holding(db, `SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, [eventId], async () => {
        const order = first === 'the settlement' ? [queueSettlement, queueShrink] : [queueShrink, queueSettlement];
        for (const queue of order) await queue();
      });

      expect(await outcomeOf(eventId, await shrinking, await settling)).toEqual(expected);
    },
  );

  it('never oversells nor answers 500 when the real allocator and the shrink run together', async () => {
    for (let round = 0; round < 12; round++) {
      const eventId = await eventWithPendingBookings();
      // The shrink leaves first and the allocator a little later each round; either may take the lock first.
      const [response, settled] = await Promise.all([
        shrink(eventId, 30).then((res) => res),
        sleep(round).then(() => app.get(BookingAllocator).settleEvents([eventId])),
      ]);
      expect([SHRINK_FIRST, SETTLEMENT_FIRST]).toContainEqual(await outcomeOf(eventId, response, settled));
    }
  });
});
