import { randomUUID } from 'node:crypto';

import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createEvent, eventually, loginAs, TestSession } from '@evently/testing';

import { freePort } from '../support/processes';
import { sample } from '../support/prometheus';
import { SmtpCapture } from '../support/smtp-capture';
import { createTestApp, startTestWorker } from '../support/test-app';
import { withEnv } from '../support/with-env';

describe('GET /api/metrics and the worker metrics endpoint', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let staff: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    staff = await loginAs(app, 'staff');
  });
  afterAll(() => app.close());

  const scrape = async () => (await http.get('/api/metrics').set(staff.headers).expect(200)).text;

  it('is 401 without a token, 403 for a plain user, and Prometheus text for staff', async () => {
    await http.get('/api/metrics').expect(401);
    const user = await loginAs(app, 'user');
    const forbidden = await http.get('/api/metrics/').set(user.headers).expect(403);
    expect(forbidden.body).toEqual({ error: expect.any(String), details: null });

    const response = await http.get('/api/metrics/').set(staff.headers).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'evently_bookings_accepted_total',
      'evently_outbox_unpublished',
      'evently_outbox_oldest_unpublished_seconds',
      'evently_bookings_processing_oldest_seconds',
    ]) {
      expect(response.text).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
    expect(sample(response.text, 'evently_metrics_source_up', { source: 'database' })).toBe(1);
    expect(sample(response.text, 'evently_metrics_source_up', { source: 'redis' })).toBe(1);
  });

  it('counts an accepted booking, shows its job waiting, then the worker counts it confirmed', async () => {
    const db = app.get(DataSource);
    const eventId = await createEvent(db, { organizerId: staff.user.id, capacity: 5 });
    const alice = await loginAs(app, 'user');
    const before = await scrape();

    const created = await http
      .post('/api/bookings/')
      .set(alice.headers)
      .send({ user_id: alice.user.id, event_id: eventId, number_of_tickets: 2 })
      .expect(201);
    const waiting = await scrape();
    expect(sample(waiting, 'evently_bookings_accepted_total')).toBe(
      sample(before, 'evently_bookings_accepted_total') + 1,
    );
    expect(sample(waiting, 'evently_queue_jobs', { queue: 'bookings', state: 'waiting' })).toBeGreaterThanOrEqual(1);
    expect(sample(waiting, 'evently_bookings_processing')).toBeGreaterThanOrEqual(1);
    expect(waiting).toMatch(/^evently_queue_oldest_waiting_seconds\{queue="bookings"\} \d/m);
    expect(
      sample(waiting, 'evently_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/bookings',
        status_code: '201',
      }),
    ).toBeGreaterThanOrEqual(1);

    const metricsPort = await freePort();
    process.env.WORKER_METRICS_PORT = String(metricsPort);
    let worker: INestApplicationContext | undefined;
    try {
      worker = await startTestWorker();
      await eventually(async () => {
        const response = await http.get(`/api/bookings/${created.body.id}/`).set(alice.headers);
        return response.body.status === 'confirmed' ? true : undefined;
      });
      const workerMetrics = await eventually(async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return sample(text, 'evently_jobs_completed_total', { queue: 'bookings' }) >= 1 ? text : undefined;
      });
      expect(sample(workerMetrics, 'evently_bookings_confirmed_total')).toBeGreaterThanOrEqual(1);
      expect(sample(workerMetrics, 'evently_job_duration_seconds_count', { queue: 'bookings' })).toBeGreaterThanOrEqual(
        1,
      );
      expect(sample(workerMetrics, 'evently_settle_batch_size_count')).toBeGreaterThanOrEqual(1);
      expect(workerMetrics).toMatch(/^process_resident_memory_bytes \d/m);

      await eventually(async () => {
        const text = await scrape();
        return sample(text, 'evently_queue_jobs', { queue: 'bookings', state: 'waiting' }) === 0 ? true : undefined;
      });
    } finally {
      delete process.env.WORKER_METRICS_PORT;
      await worker?.close();
    }

    await http.delete(`/api/bookings/${created.body.id}/`).set(alice.headers).expect(200);
    const after = await scrape();
    expect(sample(after, 'evently_bookings_cancelled_total')).toBe(
      sample(before, 'evently_bookings_cancelled_total') + 1,
    );
    // Route templates, never raw ids: the label set stays bounded however many bookings there are.
    expect(after).not.toContain(created.body.id);
    expect(
      sample(after, 'evently_http_request_duration_seconds_count', { method: 'DELETE', route: '/api/bookings/:id' }),
    ).toBe(1);
  });

  it('counts the bookings a worker fails apart from those it confirms, and the mail job attempts that fail', async () => {
    const db = app.get(DataSource);
    const [open, closing] = await Promise.all([
      createEvent(db, { organizerId: staff.user.id, capacity: 5 }),
      createEvent(db, { organizerId: staff.user.id, capacity: 5 }),
    ]);
    const [carol, dan] = await Promise.all([loginAs(app, 'user'), loginAs(app, 'user')]);
    const book = (holder: TestSession, eventId: string) =>
      http
        .post('/api/bookings/')
        .set(holder.headers)
        .send({ user_id: holder.user.id, event_id: eventId, number_of_tickets: 1 })
        .expect(201);
    const bookings = [await book(carol, open), await book(carol, closing), await book(dan, closing)];
    // Closed after the bookings were accepted, so the worker fails both of its bookings and confirms the other.
    await db.query('UPDATE events SET is_active = false WHERE id = $1', [closing]);

    // The confirmation mail of carol's booking is refused for good (550): one failed attempt of a mail job.
    const smtp = await SmtpCapture.start();
    smtp.rejected.add(carol.user.email.toLowerCase());
    const metricsPort = await freePort();
    const env = { WORKER_METRICS_PORT: String(metricsPort), EMAIL_PORT: String(smtp.port) };
    const worker = await withEnv(env, startTestWorker);
    try {
      const settled = await Promise.all(
        bookings.map(({ body }, index) =>
          eventually(async () => {
            const holder = index === 2 ? dan : carol;
            const response = await http.get(`/api/bookings/${body.id}/`).set(holder.headers);
            return ['confirmed', 'failed'].includes(response.body.status) ? response.body.status : undefined;
          }),
        ),
      );
      expect(settled).toEqual(['confirmed', 'failed', 'failed']);
      // A fresh worker's counters (these three bookings, and any an earlier file left unsettled), counted just after
      // the statuses are written.
      await eventually(async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const failed = sample(text, 'evently_bookings_failed_total');
        const mailFailed = sample(text, 'evently_jobs_failed_total', { queue: 'mail' });
        return failed >= 2 && sample(text, 'evently_bookings_confirmed_total') >= 1 && mailFailed >= 1
          ? true
          : undefined;
      });
    } finally {
      await worker.close();
      await smtp.stop();
    }
  });

  it('times a request to a path no route has under the route "unmatched", never its raw path', async () => {
    const path = `/api/no-such-route-${randomUUID()}/`;
    const before = await scrape();
    await http.get(path).expect(404);
    const after = await scrape();
    expect(after).not.toContain(path);
    const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
    expect(sample(after, 'evently_http_request_duration_seconds_count', unmatched)).toBe(
      sample(before, 'evently_http_request_duration_seconds_count', unmatched) + 1,
    );
  });

  it('gives the age of the oldest booking still unsettled, not of the newest', async () => {
    const db = app.get(DataSource);
    const eventId = await createEvent(db, { organizerId: staff.user.id, capacity: 5 });
    const bob = await loginAs(app, 'user');
    const book = () =>
      http
        .post('/api/bookings/')
        .set(bob.headers)
        .send({ user_id: bob.user.id, event_id: eventId, number_of_tickets: 1 })
        .expect(201);
    const old = await book();
    const fresh = await book();
    await db.query(`UPDATE bookings SET booking_date = now() - interval '10 minutes' WHERE id = $1`, [old.body.id]);
    try {
      expect(sample(await scrape(), 'evently_bookings_processing_oldest_seconds')).toBeGreaterThanOrEqual(599);
    } finally {
      for (const booking of [old, fresh]) {
        await http.delete(`/api/bookings/${booking.body.id}/`).set(bob.headers).expect(200);
      }
    }
  });

  it('gives the count and age of the outbox rows not yet handed to BullMQ', async () => {
    const db = app.get(DataSource);
    // No worker runs to relay it: the row stays unpublished until the test removes it.
    const [{ id }] = await db.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, created_at)
       VALUES ('mail', 'metrics-test', $1, '{}', now() - interval '10 minutes') RETURNING id`,
      [`metrics-test-${randomUUID()}`],
    );
    try {
      const text = await scrape();
      expect(sample(text, 'evently_outbox_unpublished')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'evently_outbox_oldest_unpublished_seconds')).toBeGreaterThanOrEqual(599);
    } finally {
      await db.query('DELETE FROM outbox WHERE id = $1', [id]);
    }
  });

  it('reports the database source down, rather than failing the scrape, while PostgreSQL does not answer in time', async () => {
    // A real wait, not a mock: the bookings table is locked until the scrape's 1.5 s budget has passed.
    const locker = app.get(DataSource).createQueryRunner();
    await locker.connect();
    try {
      await locker.startTransaction();
      await locker.query('LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE');
      const text = await scrape();
      expect(sample(text, 'evently_metrics_source_up', { source: 'database' })).toBe(0);
      expect(sample(text, 'evently_metrics_source_up', { source: 'redis' })).toBe(1);
    } finally {
      await locker.rollbackTransaction();
      await locker.release();
    }
    expect(sample(await scrape(), 'evently_metrics_source_up', { source: 'database' })).toBe(1);
  });

  it('reports the Redis source down while Redis does not answer', async () => {
    const closed = new URL(process.env.REDIS_URL ?? '');
    closed.port = String(await freePort());
    const cut = await withEnv({ REDIS_URL: closed.toString() }, createTestApp);
    try {
      const scraper = await loginAs(cut, 'staff');
      const { text } = await request(cut.getHttpServer()).get('/api/metrics').set(scraper.headers).expect(200);
      expect(sample(text, 'evently_metrics_source_up', { source: 'redis' })).toBe(0);
      expect(sample(text, 'evently_metrics_source_up', { source: 'database' })).toBe(1);
    } finally {
      await cut.close();
    }
  });
});
