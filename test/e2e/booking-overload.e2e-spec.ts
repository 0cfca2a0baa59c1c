import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource, QueryRunner } from 'typeorm';

import { createEvent, eventually, loginAs, TestSession } from '@evently/testing';

import { createTestApp } from '../support/test-app';

/** More than one api process holds: its statements in flight (4 × 250) and the 2,000 it lets wait. */
const REQUESTS = 3_200;

describe('an api whose database stalls during a sale', () => {
  let app: NestFastifyApplication;
  let db: DataSource;
  let buyer: TestSession;
  let lock: QueryRunner | undefined;
  let eventId: string | undefined;

  beforeAll(async () => {
    app = await createTestApp();
    db = app.get(DataSource);
    buyer = await loginAs(app);
  });
  afterAll(async () => {
    await lock?.release();
    // Thousands of accepted bookings would otherwise be settled, and mailed, by the next spec's worker.
    if (eventId) await db.query(`DELETE FROM bookings WHERE event_id = $1`, [eventId]);
    await app.close();
  });

  it('refuses bookings past what it can hold with 503 and Retry-After, and keeps every booking it accepted', async () => {
    const staff = await loginAs(app, 'staff');
    eventId = await createEvent(db, { organizerId: staff.user.id, capacity: REQUESTS });
    // A booking's insert checks its foreign key with KEY SHARE on the event, which FOR UPDATE blocks.
    lock = db.createQueryRunner();
    await lock.connect();
    await lock.startTransaction();
    await lock.query('SELECT 1 FROM events WHERE id = $1 FOR UPDATE', [eventId]);

    let refused = 0;
    const answers = Promise.all(
      Array.from({ length: REQUESTS }, async () => {
        const response = await app.inject({
          method: 'POST',
          url: '/api/bookings/',
          headers: { ...buyer.headers, 'content-type': 'application/json' },
          payload: { user_id: buyer.user.id, event_id: eventId, number_of_tickets: 1 },
        });
        if (response.statusCode === 503) refused++;
        return response;
      }),
    );
    await eventually(async () => (refused > 0 ? true : undefined), 30_000, 20);
    await lock.rollbackTransaction();

    const responses = await answers;
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.every((status) => status === 201 || status === 503)).toBe(true);
    const unavailable = responses.filter((response) => response.statusCode === 503);
    expect(unavailable.every((response) => response.headers['retry-after'] === '1')).toBe(true);
    expect(unavailable.map((response) => response.json())).toContainEqual({
      error: 'The service is overloaded; retry shortly.',
      details: null,
    });
    const [{ rows }] = await db.query(`SELECT count(*)::int AS rows FROM bookings WHERE event_id = $1`, [eventId]);
    expect(rows).toBe(statuses.filter((status) => status === 201).length);
  }, 60_000);
});
