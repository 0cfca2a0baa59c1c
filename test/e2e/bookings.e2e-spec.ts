import { randomUUID } from 'node:crypto';

import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { jobIds, QUEUES } from '@evently/queue';
import { createEvent, eventually, inventoryOf, loginAs, TestSession } from '@evently/testing';

import { insertBookings } from '../support/booking-rows';
import { seedBookings } from '../support/event-fixtures';
import { holding, waitForBlocked } from '../support/lock-waits';
import { createTestApp, startTestWorker } from '../support/test-app';

describe('bookings: create, poll, list, cancel', () => {
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let http: ReturnType<typeof request>;
  let db: DataSource;
  let staff: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    worker = await startTestWorker();
    http = request(app.getHttpServer());
    db = app.get(DataSource);
    staff = await loginAs(app, 'staff');
  });
  afterAll(async () => {
    await worker.close();
    await app.close();
  });

  const newEvent = (overrides: Partial<Parameters<typeof createEvent>[1]> = {}) =>
    createEvent(db, { organizerId: staff.user.id, ...overrides });

  const book = (session: TestSession, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    http
      .post('/api/bookings/')
      .set({ ...session.headers, ...headers })
      .send(body);

  const bookingCountOf = async (userId: number): Promise<number> => {
    const [{ count }] = await db.query('SELECT count(*)::int AS count FROM bookings WHERE user_id = $1', [userId]);
    return count;
  };

  const settled = (session: TestSession, id: string) =>
    eventually(async () => {
      const response = await http.get(`/api/bookings/${id}/`).set(session.headers).expect(200);
      return ['confirmed', 'failed'].includes(response.body.status) ? response.body : undefined;
    });

  const bookingCount = async (eventId: string): Promise<number> => {
    const [{ count }] = await db.query('SELECT count(*)::int AS count FROM bookings WHERE event_id = $1', [eventId]);
    return count;
  };

  /** Runs `work` with no worker alive (this file's is the only one), so what it books stays processing. */
  async function withoutWorker<T>(work: () => Promise<T>): Promise<T> {
    await worker.close();
    try {
      return await work();
    } finally {
      worker = await startTestWorker();
    }
  }

  it('keeps one more settle signal for an event whose settlement is running, so a booking made meanwhile waits for no sweep', async () => {
    const eventId = await newEvent({ capacity: 10 });
    const [ann, ben] = [await loginAs(app), await loginAs(app)];
    const queue = app.get<Queue>(getQueueToken(QUEUES.bookings));
    const settleJobs = async () =>
      (await queue.getJobs(['completed'])).filter((job) => job.data.eventId === eventId).length;
    const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    try {
      // Ann's settlement has chosen her booking and waits to write its mail, when Ben's is committed: only a signal
      // kept for after the running one settles Ben's before the sweeper (10 s) would.
      const second = await holding(pool, `LOCK TABLE outbox IN SHARE MODE`, [], async () => {
        await book(ann, { event_id: eventId, number_of_tickets: 1 }).expect(201);
        await waitForBlocked(pool, 'INSERT INTO outbox');
        return (await book(ben, { event_id: eventId, number_of_tickets: 1 }).expect(201)).body.id;
      });
      expect((await settled(ben, second)).status).toBe('confirmed');
      expect(await settleJobs()).toBe(2);
    } finally {
      await pool.end();
    }
  });

  it('accepts a booking as processing with the spec body, then the worker confirms it', async () => {
    const eventId = await newEvent({ price: '25.50', capacity: 10, name: 'Tech Conference' });
    const alice = await loginAs(app);
    const response = await book(alice, { user_id: alice.user.id, event_id: eventId, number_of_tickets: 3 }).expect(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: { id: eventId, name: 'Tech Conference' },
      user: { id: alice.user.id, username: alice.user.username },
      ticket_count: 3,
      total_amount: 76.5,
      booking_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      status: 'processing',
      failure_reason: null,
      task_id: expect.any(String),
    });

    const final = await settled(alice, response.body.id);
    expect(final.status).toBe('confirmed');
    expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 3, confirmed_tickets: 3, unsettled: 0 });
  });

  it('reads whole numbers sent as text, as DRF does: quoted in JSON, or a form body', async () => {
    const eventId = await newEvent({ capacity: 10 });
    const erin = await loginAs(app);
    const quoted = await book(erin, { user_id: String(erin.user.id), event_id: eventId, number_of_tickets: '2.0' });
    expect([quoted.status, quoted.body.ticket_count]).toEqual([201, 2]);
    const form = await http
      .post('/api/bookings/')
      .set(erin.headers)
      .type('form')
      .send(`event_id=${eventId}&number_of_tickets=3`);
    expect([form.status, form.body.ticket_count]).toEqual([201, 3]);
  });

  it('takes the per-booking maximum, 10 tickets, in one booking', async () => {
    const eventId = await newEvent({ capacity: 10 });
    const gus = await loginAs(app);
    const response = await book(gus, { event_id: eventId, number_of_tickets: 10 }).expect(201);
    expect(response.body.ticket_count).toBe(10);
    expect((await settled(gus, response.body.id)).status).toBe('confirmed');
    expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 10, confirmed_tickets: 10 });
  });

  it('exact money: 3 tickets at 0.10 cost 0.30', async () => {
    const eventId = await newEvent({ price: '0.10' });
    const bob = await loginAs(app);
    const response = await book(bob, { event_id: eventId, number_of_tickets: 3 }).expect(201);
    expect(response.body.total_amount).toBe(0.3);
  });

  it.each([
    ['zero tickets', { number_of_tickets: 0 }],
    ['negative tickets', { number_of_tickets: -1 }],
    ['more than 10 tickets', { number_of_tickets: 11 }],
    ['fractional tickets', { number_of_tickets: 2.5 }],
    ['tickets as a fractional string', { number_of_tickets: '2.5' }],
    ['tickets as a fraction a float would round to 1', { number_of_tickets: '1.00000000000000001' }],
    ['tickets as words', { number_of_tickets: 'two' }],
    ['null tickets', { number_of_tickets: null }],
    ['missing tickets', { number_of_tickets: undefined }],
    ['a malformed event id', { event_id: 'not-a-uuid' }],
    ['a missing event id', { event_id: undefined }],
    ['a user id beyond integer range', { user_id: 99999999999 }],
  ])('refuses %s with 400 and the error shape, leaving no booking', async (_case, change) => {
    const eventId = await newEvent();
    const carol = await loginAs(app);
    const response = await book(carol, { event_id: eventId, number_of_tickets: 1, ...change }).expect(400);
    expect(response.body).toEqual({ error: expect.any(String), details: expect.any(Object) });
    expect(await bookingCountOf(carol.user.id)).toBe(0);
  });

  it('refuses an unknown event with 404', async () => {
    const dave = await loginAs(app);
    await book(dave, { event_id: '00000000-0000-4000-8000-000000000000', number_of_tickets: 1 }).expect(404);
  });

  it.each([
    ['inactive', { isActive: false }],
    ['past', { time: new Date(Date.now() - 3600_000) }],
  ])('refuses a booking for an %s event at once with 409', async (_case, overrides) => {
    const eventId = await newEvent(overrides);
    const erin = await loginAs(app);
    const response = await book(erin, { event_id: eventId, number_of_tickets: 1 }).expect(409);
    expect(response.body.error).toEqual(expect.any(String));
    expect(await bookingCount(eventId)).toBe(0);
  });

  it('refuses a deleted event with 409, leaving no booking', async () => {
    const eventId = await newEvent();
    await db.query('UPDATE events SET deleted_at = now() WHERE id = $1', [eventId]);
    await book(await loginAs(app), { event_id: eventId, number_of_tickets: 1 }).expect(409);
    expect(await bookingCount(eventId)).toBe(0);
  });

  it('refuses a sold-out event at once with 409', async () => {
    const eventId = await newEvent({ capacity: 2 });
    const frank = await loginAs(app);
    const first = await book(frank, { event_id: eventId, number_of_tickets: 2 }).expect(201);
    await settled(frank, first.body.id);
    const response = await book(frank, { event_id: eventId, number_of_tickets: 1 }).expect(409);
    expect(response.body.details).toEqual({ available_tickets: 0 });
  });

  it('lets a user book only for themself (403), and staff for anyone', async () => {
    const eventId = await newEvent();
    const [gina, hank] = [await loginAs(app), await loginAs(app)];
    await book(gina, { user_id: hank.user.id, event_id: eventId, number_of_tickets: 1 }).expect(403);
    const byStaff = await book(staff, { user_id: hank.user.id, event_id: eventId, number_of_tickets: 1 }).expect(201);
    expect(byStaff.body.user.id).toBe(hank.user.id);
    await http.post('/api/bookings').send({ event_id: eventId, number_of_tickets: 1 }).expect(401);
  });

  it('cancels once: seats come back exactly once, a second cancel is 409', async () => {
    const eventId = await newEvent({ capacity: 5 });
    const ivan = await loginAs(app);
    const { body } = await book(ivan, { event_id: eventId, number_of_tickets: 4 }).expect(201);
    await settled(ivan, body.id);
    expect((await inventoryOf(db, eventId)).booked_tickets).toBe(4);

    const cancel = await http.delete(`/api/bookings/${body.id.toUpperCase()}/`).set(ivan.headers).expect(200);
    expect(cancel.body).toEqual({ booking_id: body.id, status: 'cancelled' });
    expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 0, confirmed_tickets: 0 });
    // One spelling of the id for the mail, whatever the path's: its job id is what keeps it from going out twice.
    const mails = await db.query(`SELECT job_id, payload->>'bookingId' AS booking FROM outbox WHERE job_id ILIKE $1`, [
      `%${body.id}%`,
    ]);
    expect(mails).toContainEqual({ job_id: jobIds.bookingCancelled(body.id), booking: body.id });
    expect(mails.filter((mail: { job_id: string }) => mail.job_id !== mail.job_id.toLowerCase())).toEqual([]);

    await http.delete(`/api/bookings/${body.id}`).set(ivan.headers).expect(409);
    expect((await inventoryOf(db, eventId)).booked_tickets).toBe(0);
  });

  it('cancels a booking still processing: it held no seat, gives none back, and the worker never confirms it', async () => {
    const eventId = await newEvent({ capacity: 10 });
    const [uma, vic] = [await loginAs(app), await loginAs(app)];
    // Seats already sold, so a cancel that wrongly gave 4 back would show in the counter.
    const sold = await book(vic, { event_id: eventId, number_of_tickets: 4 }).expect(201);
    expect((await settled(vic, sold.body.id)).status).toBe('confirmed');
    const bookingId = await withoutWorker(async () => {
      const { body } = await book(uma, { event_id: eventId, number_of_tickets: 4 }).expect(201);
      expect((await http.get(`/api/bookings/${body.id}/`).set(uma.headers).expect(200)).body.status).toBe('processing');
      const cancel = await http.delete(`/api/bookings/${body.id}/`).set(uma.headers).expect(200);
      expect(cancel.body).toEqual({ booking_id: body.id, status: 'cancelled' });
      expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 4, confirmed_tickets: 4, unsettled: 0 });
      return body.id as string;
    });
    // The worker settles an event's bookings oldest first: once this later one is decided, the cancelled one was
    // seen too. Had the worker confirmed the cancelled 4 seats, these 3 would not fit in the 2 left.
    const probe = await book(uma, { event_id: eventId, number_of_tickets: 3 }).expect(201);
    expect((await settled(uma, probe.body.id)).status).toBe('confirmed');
    expect((await http.get(`/api/bookings/${bookingId}/`).set(uma.headers).expect(200)).body.status).toBe('cancelled');
    expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 7, confirmed_tickets: 7, unsettled: 0 });
    await http.delete(`/api/bookings/${bookingId}/`).set(uma.headers).expect(409);
    expect((await inventoryOf(db, eventId)).booked_tickets).toBe(7);
  });

  it('refuses other users’ bookings (403, and no cancel) but shows them to staff; an unknown id is 404', async () => {
    const eventId = await newEvent();
    const [judy, kim] = [await loginAs(app), await loginAs(app)];
    const { body } = await book(judy, { event_id: eventId, number_of_tickets: 1 }).expect(201);
    const forbidden = { error: 'You may only act on your own bookings.', details: null };
    expect((await http.get(`/api/bookings/${body.id}/`).set(kim.headers).expect(403)).body).toEqual(forbidden);
    expect((await http.delete(`/api/bookings/${body.id}/`).set(kim.headers).expect(403)).body).toEqual(forbidden);
    expect((await settled(judy, body.id)).status).toBe('confirmed');
    await http.get(`/api/bookings/${body.id}/`).set(staff.headers).expect(200);
    await http.get(`/api/bookings/${randomUUID()}/`).set(kim.headers).expect(404);
    await http.get('/api/bookings/not-a-uuid/').set(judy.headers).expect(404);
  });

  it('refuses to cancel a failed booking (409): it stays failed, and its holder gets no cancellation mail', async () => {
    const eventId = await newEvent({ capacity: 5 });
    const wes = await loginAs(app);
    const [failedId] = await insertBookings(db, [{ eventId, userId: wes.user.id, status: 'failed' }]);
    const refused = await http.delete(`/api/bookings/${failedId}/`).set(wes.headers).expect(409);
    expect(refused.body.error).toBe('Booking is already failed.');
    expect((await http.get(`/api/bookings/${failedId}/`).set(wes.headers).expect(200)).body.status).toBe('failed');
    expect(await db.query(`SELECT 1 FROM outbox WHERE job_id = $1`, [jobIds.bookingCancelled(failedId)])).toEqual([]);
  });

  it("finds page=last of another user's history for staff from that user's count", async () => {
    const eventId = await newEvent();
    const mia = await loginAs(app);
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push((await book(mia, { event_id: eventId, number_of_tickets: 1 }).expect(201)).body.id);
    }
    const last = await http.get(`/api/users/${mia.user.id}/bookings/?page_size=2&page=last`).set(staff.headers);
    expect([last.status, last.body.results.map((b: { id: string }) => b.id), last.body.next]).toEqual([
      200,
      [ids[0]],
      null,
    ]);
  });

  it('lists a user’s bookings newest first, paginated, only for them or staff', async () => {
    const eventId = await newEvent({ name: 'History Fest', venue: 'Hall 9' });
    const leo = await loginAs(app);
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push((await book(leo, { event_id: eventId, number_of_tickets: 1 }).expect(201)).body.id);
    }
    const page1 = await http.get(`/api/users/${leo.user.id}/bookings/?page_size=2`).set(leo.headers).expect(200);
    expect(page1.body.count).toBe(3);
    expect(page1.body.results.map((b: { id: string }) => b.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.previous).toBeNull();
    expect(page1.body.next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/users\/\d+\/bookings\/\?page_size=2&page=2$/);
    expect(page1.body.results[0]).toEqual({
      id: ids[2],
      event: { id: eventId, name: 'History Fest', venue: 'Hall 9', time: expect.any(String) },
      ticket_count: 1,
      total_amount: 25.5,
      booking_date: expect.any(String),
      status: expect.any(String),
    });
    const page2 = await http.get(new URL(page1.body.next).pathname + new URL(page1.body.next).search).set(leo.headers);
    expect(page2.body.results.map((b: { id: string }) => b.id)).toEqual([ids[0]]);
    expect(page2.body.next).toBeNull();
    const page3 = await http.get(`/api/users/${leo.user.id}/bookings/?page_size=2&page=3`).set(leo.headers);
    expect([page3.status, page3.body]).toEqual([404, { error: 'Invalid page.', details: null }]);
    const last = await http.get(`/api/users/${leo.user.id}/bookings/?page_size=2&page=last`).set(leo.headers);
    expect([last.status, last.body.results, last.body.next]).toEqual([200, page2.body.results, null]);

    const other = await loginAs(app);
    await http.get(`/api/users/${leo.user.id}/bookings/`).set(other.headers).expect(403);
    await http.get(`/api/users/${leo.user.id}/bookings/`).set(staff.headers).expect(200);
    await http.get('/api/users/abc/bookings/').set(leo.headers).expect(404);
    await http.get('/api/users/99999999999/bookings/').set(staff.headers).expect(404);
    const unknown = await http.get('/api/users/2147483000/bookings/').set(staff.headers).expect(404);
    expect(unknown.body).toEqual({ error: 'User not found.', details: null });
    const bookless = await loginAs(app);
    const empty = await http.get(`/api/users/${bookless.user.id}/bookings/`).set(staff.headers).expect(200);
    expect(empty.body).toMatchObject({ count: 0, results: [] });
    await http.get(`/api/users/${leo.user.id}/bookings/?page=0`).set(leo.headers).expect(400);
    const notAPage = await http.get(`/api/users/${leo.user.id}/bookings/?page=abc`).set(leo.headers).expect(400);
    expect(notAPage.body.details.page).toContain('page must be an integer number, or last');
    await seedBookings(db, { eventId: await newEvent(), userId: leo.user.id, status: 'failed', count: 98 });
    const clamped = await http.get(`/api/users/${leo.user.id}/bookings/?page_size=1000`).set(leo.headers).expect(200);
    expect([clamped.body.count, clamped.body.results.length]).toEqual([101, 100]);
    expect(new URL(clamped.body.next).searchParams.get('page')).toBe('2');
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, and creates nothing new', async () => {
      const eventId = await newEvent();
      const mia = await loginAs(app);
      const body = { event_id: eventId, number_of_tickets: 2 };
      const first = await book(mia, body, { 'Idempotency-Key': 'order-1' }).expect(201);
      const again = await book(mia, body, { 'Idempotency-Key': 'order-1' }).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await bookingCountOf(mia.user.id)).toBe(1);
    });

    it('signals the settlement of a booking made with a key, so it is confirmed without waiting for a sweep', async () => {
      const eventId = await newEvent({ capacity: 5 });
      const kai = await loginAs(app);
      const queue = app.get<Queue>(getQueueToken(QUEUES.bookings));
      const created = await book(kai, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'signalled' });
      expect(created.status).toBe(201);
      expect((await settled(kai, created.body.id)).status).toBe('confirmed');
      // The sweeper would confirm it too, 10 s on, but only the api's signal makes a settle job for the event (which
      // may still be finishing as the booking shows confirmed).
      const jobs = await queue.getJobs(['active', 'completed']);
      const settleJobs = jobs.filter((job) => job.data.eventId === eventId);
      expect(settleJobs).toHaveLength(1);
    });

    it('keeps a key 24 hours: replayed at 23, free for a new request at 25', async () => {
      const eventId = await newEvent();
      const wes = await loginAs(app);
      const body = { event_id: eventId, number_of_tickets: 1 };
      const first = await book(wes, body, { 'Idempotency-Key': 'day-old' }).expect(201);
      const ageKey = (hours: number) =>
        db.query(
          `UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2) WHERE user_id = $1 AND key = 'day-old'`,
          [wes.user.id, hours],
        );

      await ageKey(23);
      const replayed = await book(wes, body, { 'Idempotency-Key': 'day-old' }).expect(201);
      expect([replayed.body.id, replayed.headers['idempotent-replayed']]).toEqual([first.body.id, 'true']);
      expect(await bookingCountOf(wes.user.id)).toBe(1);

      await ageKey(25);
      const other = { event_id: eventId, number_of_tickets: 2 };
      const fresh = await book(wes, other, { 'Idempotency-Key': 'day-old' }).expect(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(await bookingCountOf(wes.user.id)).toBe(2);
    });

    it('answers 422 for the same key with another body', async () => {
      const eventId = await newEvent();
      const ned = await loginAs(app);
      await book(ned, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'k' }).expect(201);
      await book(ned, { event_id: eventId, number_of_tickets: 2 }, { 'Idempotency-Key': 'k' }).expect(422);
    });

    it('scopes keys per user', async () => {
      const eventId = await newEvent();
      const [olga, pete] = [await loginAs(app), await loginAs(app)];
      const a = await book(olga, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'same' }).expect(
        201,
      );
      const b = await book(pete, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'same' }).expect(
        201,
      );
      expect(a.body.id).not.toEqual(b.body.id);
    });

    it('answers 422 when staff reuse a key to book for another user, and books nothing for that user', async () => {
      const eventId = await newEvent();
      const [yves, zoe] = [await loginAs(app), await loginAs(app)];
      const key = { 'Idempotency-Key': 'on-behalf' };
      await book(staff, { user_id: yves.user.id, event_id: eventId, number_of_tickets: 1 }, key).expect(201);
      const other = await book(staff, { user_id: zoe.user.id, event_id: eventId, number_of_tickets: 1 }, key);
      expect(other.status).toBe(422);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect([await bookingCountOf(yves.user.id), await bookingCountOf(zoe.user.id)]).toEqual([1, 0]);
    });

    it('gives one booking for concurrent requests with one key', async () => {
      const eventId = await newEvent();
      const quinn = await loginAs(app);
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          book(quinn, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'burst' }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
      expect(await bookingCountOf(quinn.user.id)).toBe(1);
    });

    it.each([
      ['empty', ''],
      ['256 characters long', 'k'.repeat(256)],
    ])('refuses a key that is %s with 400, and books nothing', async (_, key) => {
      const eventId = await newEvent({ capacity: 5 });
      const tess = await loginAs(app);
      const response = await book(tess, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': key });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'Invalid Idempotency-Key.', details: 'It must be 1 to 255 characters.' });
      expect(await bookingCount(eventId)).toBe(0);
    });

    it('takes a key of exactly 255 characters, and replays it', async () => {
      const eventId = await newEvent({ capacity: 5 });
      const uri = await loginAs(app);
      const body = { event_id: eventId, number_of_tickets: 1 };
      const key = { 'Idempotency-Key': 'k'.repeat(255) };
      const first = await book(uri, body, key).expect(201);
      const again = await book(uri, body, key).expect(201);
      expect([again.body.id, again.headers['idempotent-replayed']]).toEqual([first.body.id, 'true']);
      expect(await bookingCount(eventId)).toBe(1);
    });

    it('replays a 409 refusal for the same key and body after its cause is gone, and books nothing', async () => {
      const eventId = await newEvent({ isActive: false });
      const rita = await loginAs(app);
      const body = { event_id: eventId, number_of_tickets: 1 };
      const first = await book(rita, body, { 'Idempotency-Key': 'retry' }).expect(409);
      expect(first.body).toEqual({ error: 'Event is not active.', details: null });
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      await db.query('UPDATE events SET is_active = true WHERE id = $1', [eventId]);
      const again = await book(rita, body, { 'Idempotency-Key': 'retry' }).expect(409);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await bookingCount(eventId)).toBe(0);
      // The event takes bookings again: only the key's first answer is fixed.
      await book(rita, body, { 'Idempotency-Key': 'another' }).expect(201);
    });

    it('replays a sold-out refusal, details included, once seats are freed', async () => {
      const eventId = await newEvent({ capacity: 1 });
      const [holder, sara] = [await loginAs(app), await loginAs(app)];
      const held = await book(holder, { event_id: eventId, number_of_tickets: 1 }).expect(201);
      expect((await settled(holder, held.body.id)).status).toBe('confirmed');
      const body = { event_id: eventId, number_of_tickets: 1 };
      const first = await book(sara, body, { 'Idempotency-Key': 'sold-out' }).expect(409);
      expect(first.body).toEqual({ error: 'Not enough tickets available.', details: { available_tickets: 0 } });
      await http.delete(`/api/bookings/${held.body.id}/`).set(holder.headers).expect(200);
      const again = await book(sara, body, { 'Idempotency-Key': 'sold-out' }).expect(409);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await bookingCountOf(sara.user.id)).toBe(0);
    });

    it('replays a 404 for an unknown event', async () => {
      const tess = await loginAs(app);
      const body = { event_id: '00000000-0000-4000-8000-000000000000', number_of_tickets: 1 };
      const first = await book(tess, body, { 'Idempotency-Key': 'unknown' }).expect(404);
      const again = await book(tess, body, { 'Idempotency-Key': 'unknown' }).expect(404);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
    });

    it('answers 422 for the same key with another body after a refusal', async () => {
      const eventId = await newEvent({ isActive: false });
      const uma = await loginAs(app);
      await book(uma, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'k' }).expect(409);
      const other = await newEvent();
      await book(uma, { event_id: other, number_of_tickets: 1 }, { 'Idempotency-Key': 'k' }).expect(422);
      expect(await bookingCount(other)).toBe(0);
    });

    it('replays the 404 of a booker deleted while the insert waited, which aborted the statement', async () => {
      const eventId = await newEvent();
      const doomed = await loginAs(app);
      const body = { event_id: eventId, number_of_tickets: 1, user_id: doomed.user.id };
      const deleting = db.createQueryRunner();
      await deleting.startTransaction();
      let first: Awaited<ReturnType<typeof book>>;
      try {
        await deleting.query('DELETE FROM users WHERE id = $1', [doomed.user.id]);
        // then() sends the request now; the insert's foreign-key check waits for the uncommitted delete, then fails
        // once it commits.
        const pending = book(staff, body, { 'Idempotency-Key': 'booker-gone' }).then((response) => response);
        await eventually(async () => {
          const waiting = await db.query(
            `SELECT 1 FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO bookings%'`,
          );
          return waiting.length > 0 ? true : undefined;
        });
        await deleting.commitTransaction();
        first = await pending;
      } finally {
        if (deleting.isTransactionActive) await deleting.rollbackTransaction();
        await deleting.release();
      }
      expect({ status: first.status, body: first.body }).toEqual({
        status: 404,
        body: { error: 'User not found.', details: null },
      });
      const again = await book(staff, body, { 'Idempotency-Key': 'booker-gone' }).expect(404);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
    });

    it('stores nothing for a request refused before the intake (400, 403), so a retry can succeed', async () => {
      const eventId = await newEvent();
      const [vic, wes] = [await loginAs(app), await loginAs(app)];
      await book(vic, { event_id: eventId, number_of_tickets: 0 }, { 'Idempotency-Key': 'early' }).expect(400);
      await book(
        vic,
        { event_id: eventId, number_of_tickets: 1, user_id: wes.user.id },
        { 'Idempotency-Key': 'early' },
      ).expect(403);
      const created = await book(vic, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'early' });
      expect(created.status).toBe(201);
      expect(created.headers['idempotent-replayed']).toBeUndefined();
    });

    it('gives concurrent requests with one key the same refusal, one of them first', async () => {
      const eventId = await newEvent({ isActive: false });
      const xena = await loginAs(app);
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          book(xena, { event_id: eventId, number_of_tickets: 1 }, { 'Idempotency-Key': 'burst-refused' }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(409));
      expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    });
  });

  it('settles a booking whose enqueue was lost (crash between the database write and Redis)', async () => {
    const eventId = await newEvent({ capacity: 3 });
    const sam = await loginAs(app);
    const [row] = await db.query(
      `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, task_id, booking_date)
       VALUES ($1, $2, 2, 51, 'processing', 'lost-job', now() - interval '1 minute') RETURNING id`,
      [eventId, sam.user.id],
    );
    const final = await settled(sam, row.id);
    expect(final.status).toBe('confirmed');
    expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 2, confirmed_tickets: 2 });
  });

  it('fails, with a reason, bookings that find the event sold out by the time the worker decides', async () => {
    const eventId = await newEvent({ capacity: 3 });
    const users = await Promise.all(Array.from({ length: 5 }, () => loginAs(app)));
    // No worker decides while they arrive, so the sell-out is met in the worker, not at the door.
    const requests = await withoutWorker(() =>
      Promise.all(
        users.map(async (user) => ({ user, response: await book(user, { event_id: eventId, number_of_tickets: 1 }) })),
      ),
    );
    expect(requests.filter(({ response }) => ![201, 409].includes(response.status))).toEqual([]);
    const accepted = requests.filter(({ response }) => response.status === 201);
    const finals = await Promise.all(accepted.map(({ user, response }) => settled(user, response.body.id)));
    expect(finals.filter((b) => b.status === 'confirmed')).toHaveLength(3);
    const failed = finals.filter((b) => b.status === 'failed');
    expect(failed.length + requests.length - accepted.length).toBe(2);
    expect(failed.length).toBeGreaterThan(0);
    for (const booking of failed) expect(booking.failure_reason).toBe('sold out');
    expect(await inventoryOf(db, eventId)).toMatchObject({ booked_tickets: 3, confirmed_tickets: 3, unsettled: 0 });
  });
});
