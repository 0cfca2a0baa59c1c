import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createEvent, eventually, loginAs, TestSession } from '@evently/testing';

import { freePort } from '../support/processes';
import { sample } from '../support/prometheus';
import { createTestApp, startTestWorker } from '../support/test-app';

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
});
