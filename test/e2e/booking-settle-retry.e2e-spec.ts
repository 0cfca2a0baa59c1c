import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Job, Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { BOOKING_JOBS, JobProducer, QUEUES } from '@evently/queue';
import { createEvent, eventually, inventoryOf, loginAs } from '@evently/testing';

import { createTestApp, startTestWorker } from '../support/test-app';

/** Failed attempts after which an exponential backoff from 1 s would wait 4 s for the next one. */
const FAILED_ATTEMPTS = 3;

describe('settlement after the database refused it for a while', () => {
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let db: DataSource;
  let bookingsQueue: Queue;

  beforeAll(async () => {
    app = await createTestApp();
    worker = await startTestWorker();
    db = app.get(DataSource);
    bookingsQueue = app.get(JobProducer).queue(QUEUES.bookings);
  });
  afterAll(async () => {
    await worker.close();
    await app.close();
  });

  /** Makes every settlement of the event fail inside PostgreSQL until the returned function is called. */
  async function refuseSettlements(eventId: string): Promise<() => Promise<void>> {
    const name = `evently_test_refuse_${eventId.replaceAll('-', '')}`;
    await db.query(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'settlement refused by the test'; END $$`,
    );
    await db.query(
      `CREATE TRIGGER ${name} BEFORE UPDATE ON bookings FOR EACH ROW
       WHEN (OLD.event_id = '${eventId}') EXECUTE FUNCTION ${name}()`,
    );
    return async () => {
      await db.query(`DROP TRIGGER IF EXISTS ${name} ON bookings`);
      await db.query(`DROP FUNCTION IF EXISTS ${name}()`);
    };
  }

  /** The event's settle signal, once it has failed `attempts` times and waits for (or runs) its next try. */
  async function signalFailed(eventId: string, attempts: number): Promise<Job | undefined> {
    const jobs: Job[] = await bookingsQueue.getJobs(['delayed', 'active', 'waiting']);
    const signal = jobs.find((job) => job.name === BOOKING_JOBS.settleEvent && job.data.eventId === eventId);
    return signal && signal.attemptsMade >= attempts ? signal : undefined;
  }

  it('a booking accepted while its signal waits to retry settles about a second after the database is back', async () => {
    const staff = await loginAs(app, 'staff');
    const eventId = await createEvent(db, { organizerId: staff.user.id, capacity: 10 });
    const [alice, bob] = [await loginAs(app), await loginAs(app)];
    const book = (session: typeof alice) =>
      request(app.getHttpServer())
        .post('/api/bookings/')
        .set(session.headers)
        .send({ event_id: eventId, number_of_tickets: 1 })
        .expect(201);

    const allow = await refuseSettlements(eventId);
    let signal: Job;
    try {
      await book(alice);
      signal = await eventually(() => signalFailed(eventId, FAILED_ATTEMPTS));
      // Its signal, sent as it is answered, is folded into the one waiting to retry (signals of an event are
      // deduplicated).
      await book(bob);
    } finally {
      await allow();
    }
    // The wait before the next try, as BullMQ recorded it: about a second (jitter takes up to half of it off); an
    // exponential backoff would be at 4 s by now.
    expect(signal.delay).toBeGreaterThanOrEqual(500);
    expect(signal.delay).toBeLessThanOrEqual(1000);
    // Each failed attempt's stack trace would stay in Redis with the job; it keeps the last one only.
    expect(signal.stacktrace).toHaveLength(1);
    // The retry itself settles once the database is back: given up, the job would stay failed (the sweeper settling
    // the bookings instead, 10 s on).
    await eventually(async () => ((await signal.getState()) === 'completed' ? true : undefined));
    await eventually(async () => ((await inventoryOf(db, eventId)).unsettled === 0 ? true : undefined));
    expect(await inventoryOf(db, eventId)).toMatchObject({ confirmed_tickets: 2, booked_tickets: 2 });
  });
});
