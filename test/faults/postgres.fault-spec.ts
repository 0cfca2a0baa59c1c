import { eventually } from '@evently/testing';

import { expectErrorShape } from '../support/error-shape';
import { holding, waitForBlocked } from '../support/lock-waits';
import { FaultSystem, request, timedRequest } from './support/fault-system';
import { expectUnhealthyNaming } from './support/health-shape';

/** PostgreSQL stopping, and transactions that wait on each other's locks. */
describe('PostgreSQL faults', () => {
  let system: FaultSystem;

  beforeAll(async () => {
    system = await FaultSystem.start();
  }, 120_000);

  afterAll(() => system?.stop());

  it('answers 503 with the error shape while PostgreSQL is down, health "unhealthy" naming it, and api and workers recover without a restart', async () => {
    const eventId = await system.createEvent(100);
    const before = await system.storm(eventId, 60);
    await system.postgres.stop();
    try {
      const buyer = system.buyers[0];
      const staffToken = system.staff.headers.Authorization.slice('Token '.length);
      const [booking, read, health, dashboard] = await Promise.all([
        timedRequest(`${system.apis[0].url}/api/bookings/`, {
          method: 'POST',
          headers: { ...buyer.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: buyer.id, event_id: eventId, number_of_tickets: 1 }),
        }),
        timedRequest(`${system.apis[1].url}/api/users/${buyer.id}/bookings/`, { headers: buyer.headers }),
        timedRequest(`${system.apis[1].url}/api/health/`),
        // The dashboard's session check runs on Bull Board's routes, whose own error handler answered 500.
        timedRequest(`${system.apis[0].url}/api/admin/queues/api/queues`, {
          headers: { cookie: `evently_dashboard=${staffToken}` },
        }),
      ]);
      for (const outcome of [booking, read, health, dashboard]) {
        expect(outcome.status).toBe(503);
        expect(outcome.ms).toBeLessThan(8000);
      }
      expectErrorShape(booking.body);
      expectErrorShape(read.body);
      expectUnhealthyNaming(health.body, 'database');
      expect(dashboard.body).toEqual({ error: 'Service temporarily unavailable.', details: 'database' });
      expect(dashboard.headers?.get('retry-after')).toBe('1');
    } finally {
      await system.postgres.start();
    }

    const buyer = system.buyers[1];
    const first = await eventually(
      async () => {
        const outcome = await system.book(system.apis[0], buyer, eventId);
        return outcome.status === 201 ? outcome : undefined;
      },
      30_000,
      500,
    );
    const after = await system.storm(eventId, 60);
    await system.assertNothingLostNothingOversold([eventId], [...before, first, ...after]);
  });

  it('answers 503 when a write waits on a lock past the lock timeout, instead of hanging or a 500', async () => {
    const eventId = await system.createEvent(10);
    const outcome = await holding(system.db, `SELECT 1 FROM events WHERE id = $1 FOR UPDATE`, [eventId], () =>
      timedRequest(`${system.apis[0].url}/api/admin/events/${eventId}/`, {
        method: 'PUT',
        headers: { ...system.staff.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ capacity: 20 }),
      }),
    );
    expect(outcome.status).toBe(503);
    expectErrorShape(outcome.body);
    expect(outcome.ms).toBeLessThan(8000);
  });

  it('bulk delete racing a booking by a user it deletes: the delete succeeds, the booking is a 404, no deadlock', async () => {
    const eventId = await system.createEvent(10);
    const prefix = `gone${Date.now().toString(36)}`;
    const doomed = await system.createUser(false, prefix);
    await system.db.query(
      `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status)
                           VALUES ($1, $2, 1, 10, 'failed')`,
      [eventId, doomed.id],
    );

    // The test holds the event row so that bulk delete, having locked its users, waits there; meanwhile
    // the doomed user's booking insert takes its key-share lock on the event and waits for the user.
    const [deleted, booking] = await holding(
      system.db,
      `SELECT 1 FROM events WHERE id = $1 FOR SHARE`,
      [eventId],
      async () => {
        const deleting = request(`${system.apis[0].url}/api/admin/users/bulk_delete/`, {
          method: 'POST',
          headers: { ...system.staff.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ prefix }),
        });
        await waitForBlocked(system.db, 'FROM events WHERE id IN');
        const booking = system.book(system.apis[1], doomed, eventId);
        await waitForBlocked(system.db, 'INSERT INTO bookings');
        return [deleting, booking];
      },
    );
    expect((await deleted).status).toBe(200);
    const refused = await booking;
    expect(refused.status).toBe(404);
    expectErrorShape(refused.body);
  });
});
