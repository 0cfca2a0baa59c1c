import { setTimeout as sleep } from 'node:timers/promises';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { BookingAllocator } from '@evently/bookings';
import { createEvent, eventually, inventoryOf, loginAs, TestSession } from '@evently/testing';

import { seedBookings } from '../support/event-fixtures';
import { createTestApp, dataSourceOf } from '../support/test-app';

/**
 * Lowering capacity while bookings settle: the decision must be made by the database under the event's
 * row lock, so a settlement that lands at the same moment is either seen (409) or sees the new capacity.
 */
describe('capacity shrink racing booking settlement', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
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

  const shrink = (eventId: string, capacity: number) =>
    http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ capacity });

  async function expectConsistent(eventId: string) {
    const inventory = await inventoryOf(dataSource, eventId);
    expect(inventory.booked_tickets).toBe(inventory.confirmed_tickets);
    expect(inventory.booked_tickets).toBeLessThanOrEqual(inventory.capacity);
    return inventory;
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

  it('never oversells nor answers 500 when the real allocator and the shrink run together', async () => {
    const outcomes = { shrunk: 0, refused: 0 };
    for (let round = 0; round < 12; round++) {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 100 });
      await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'processing', count: 60 });
      // The shrink leaves first and the allocator a little later each round, so both orders occur.
      const [response, settled] = await Promise.all([
        shrink(eventId, 30).then((res) => res),
        sleep(round).then(() => app.get(BookingAllocator).settleEvents([eventId])),
      ]);
      const inventory = await expectConsistent(eventId);
      if (response.status === 200) {
        outcomes.shrunk++;
        expect(inventory).toMatchObject({ capacity: 30, booked_tickets: 30 });
        expect(settled).toEqual({ confirmed: 30, failed: 30, cancelled: 0 });
      } else {
        expect(response.status).toBe(409);
        outcomes.refused++;
        expect(inventory).toMatchObject({ capacity: 100, booked_tickets: 60 });
        expect(settled).toEqual({ confirmed: 60, failed: 0, cancelled: 0 });
      }
      const availability = await http.get(`/api/events/${eventId}/availability/`).expect(200);
      expect(availability.body.available_tickets).toBe(inventory.capacity - inventory.booked_tickets);
    }
    expect(outcomes.shrunk + outcomes.refused).toBe(12);
  });
});
