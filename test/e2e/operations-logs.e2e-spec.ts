import { randomUUID } from 'node:crypto';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';

import { createEvent, eventually, loginAs, TEST_PASSWORD } from '@evently/testing';

import { freePort, RunningProcess, startApiProcess, startWorkerProcess } from '../support/processes';
import { sample } from '../support/prometheus';
import { createTestApp } from '../support/test-app';

/** The compiled api and worker, as operators run them: what their logs and the worker's metrics port say. */
describe('logs and worker metrics of the compiled processes', () => {
  let app: NestFastifyApplication;
  let api: RunningProcess & { url: string };
  let worker: RunningProcess;
  let metricsPort: number;

  beforeAll(async () => {
    app = await createTestApp();
    metricsPort = await freePort();
    [api, worker] = await Promise.all([
      startApiProcess(),
      startWorkerProcess({ WORKER_METRICS_PORT: String(metricsPort) }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api, worker].map((proc) => proc?.stop()));
    await app.close();
  });

  const jsonLines = (proc: RunningProcess) =>
    proc
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const requestIdOf = (line: Record<string, unknown>) => (line.req as { id?: string } | undefined)?.id;

  it('names the booking, the request and the job in the lines that concern them', async () => {
    const staff = await loginAs(app, 'staff');
    const alice = await loginAs(app, 'user');
    const eventId = await createEvent(app.get(DataSource), { organizerId: staff.user.id, capacity: 3 });
    const response = await fetch(`${api.url}/api/bookings/`, {
      method: 'POST',
      headers: { ...alice.headers, 'content-type': 'application/json', 'x-request-id': 'ops-log-test-1' },
      body: JSON.stringify({ user_id: alice.user.id, event_id: eventId, number_of_tickets: 1 }),
    });
    expect(response.status).toBe(201);
    const bookingId = ((await response.json()) as { id: string }).id;

    const accepted = await eventually(async () =>
      jsonLines(api).find((line) => line.msg === 'booking accepted' && line.bookingId === bookingId),
    );
    expect(accepted).toMatchObject({ eventId, req: expect.objectContaining({ id: 'ops-log-test-1' }) });
    const completed = await eventually(async () =>
      jsonLines(api).find((line) => line.msg === 'request completed' && requestIdOf(line) === 'ops-log-test-1'),
    );
    expect(completed).toMatchObject({
      level: 30,
      req: { method: 'POST', url: '/api/bookings/', headers: { authorization: '[Redacted]' } },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
    });

    const settled = await eventually(async () =>
      jsonLines(worker).find(
        (line) => line.msg === 'settled bookings' && (line.settledEventIds as string[] | undefined)?.includes(eventId),
      ),
    );
    expect(settled).toMatchObject({ queue: 'bookings', job: 'settle-event', jobId: expect.any(String), confirmed: 1 });

    const mailed = await eventually(async () =>
      jsonLines(worker).find((line) => line.queue === 'mail' && line.jobId === `mail-confirmed-${bookingId}`),
    );
    expect(mailed).toMatchObject({ bookingId });

    const cancel = await fetch(`${api.url}/api/bookings/${bookingId}/`, { method: 'DELETE', headers: alice.headers });
    expect(cancel.status).toBe(200);
    await eventually(async () =>
      jsonLines(api).find((line) => line.msg === 'booking cancelled' && line.bookingId === bookingId),
    );
  });

  it('never writes the dashboard session cookie, which holds a staff token, to the log', async () => {
    const staff = await loginAs(app, 'staff');
    const login = await fetch(`${api.url}/api/admin/queues/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: staff.user.username, password: TEST_PASSWORD }),
    });
    expect(login.status).toBe(303);
    const token = /evently_dashboard=([0-9a-f]{64})/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    expect(token).toBeDefined();
    // The browser sends it back with every dashboard request: that request's line is the one that could show it.
    const headers = { cookie: `evently_dashboard=${token}`, 'x-request-id': 'ops-log-dashboard' };
    expect((await fetch(`${api.url}/api/admin/queues/api/queues`, { headers })).status).toBe(200);
    await eventually(async () => jsonLines(api).find((line) => requestIdOf(line) === 'ops-log-dashboard'));
    expect(api.output()).not.toContain(token);
  });

  it('leaves the health probe out, and logs a refused request (404, or 400 for bad input) as a warning (lines are written in order)', async () => {
    const headers = { 'x-request-id': 'ops-log-test-404' };
    expect((await fetch(`${api.url}/api/health/`, { headers: { 'x-request-id': 'ops-log-health' } })).ok).toBe(true);
    expect((await fetch(`${api.url}/api/user/events/${randomUUID()}/`, { headers })).status).toBe(404);
    const refused = await eventually(async () =>
      jsonLines(api).find((line) => requestIdOf(line) === 'ops-log-test-404'),
    );
    expect(refused).toMatchObject({ level: 40, msg: 'request completed', res: { statusCode: 404 } });
    const badInput = { 'x-request-id': 'ops-log-test-400' };
    expect((await fetch(`${api.url}/api/user/auth/login/`, { method: 'POST', headers: badInput })).status).toBe(400);
    const invalid = await eventually(async () =>
      jsonLines(api).find((line) => requestIdOf(line) === 'ops-log-test-400'),
    );
    expect(invalid).toMatchObject({ level: 40, msg: 'request completed', res: { statusCode: 400 } });
    expect(jsonLines(api).some((line) => requestIdOf(line) === 'ops-log-health')).toBe(false);
  });

  it("serves the worker's own counters on WORKER_METRICS_PORT", async () => {
    const text = await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return sample(body, 'evently_jobs_completed_total', { queue: 'bookings' }) >= 1 ? body : undefined;
    });
    expect(sample(text, 'evently_bookings_confirmed_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'evently_job_duration_seconds_count', { queue: 'bookings' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('logs a metrics port another process holds, and the worker runs on without it', async () => {
    const second = await startWorkerProcess({ WORKER_METRICS_PORT: String(metricsPort) });
    try {
      const down = await eventually(async () => jsonLines(second).find((line) => line.msg === 'metrics endpoint down'));
      expect(down).toMatchObject({ level: 50, port: metricsPort });
      expect(second.child.exitCode).toBeNull();
      expect(await second.stop()).toBe(0);
    } finally {
      if (second.child.exitCode === null) await second.stop();
    }
  });
});
