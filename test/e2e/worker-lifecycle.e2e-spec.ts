import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { exitStatusOf } from '@evently/common';
import { createEvent, eventually, inventoryOf, loginAs } from '@evently/testing';

import { freePort, launchWorkerProcess, startWorkerProcess, terminateTwice } from '../support/processes';
import { createTestApp, startTestWorker } from '../support/test-app';
import { BookingProcessor } from '../../apps/worker/src/bookings/booking.processor';
import { MailProcessor } from '../../apps/worker/src/mail/mail.processor';

describe('the worker process', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('is counted by health while it runs, settles bookings, and exits cleanly on SIGTERM', async () => {
    const http = request(app.getHttpServer());
    const worker = await startWorkerProcess();
    try {
      // Healthy once it has also drained the booking jobs earlier files left waiting (health's backlog check).
      const healthy = await eventually(async () => {
        const response = await http.get('/api/health/');
        return response.body.status === 'healthy' ? response.body : undefined;
      });
      expect(healthy.workers).toBeGreaterThanOrEqual(1);

      const db = app.get(DataSource);
      const staff = await loginAs(app, 'staff');
      const eventId = await createEvent(db, { organizerId: staff.user.id, capacity: 5 });
      const buyer = await loginAs(app);
      await http
        .post('/api/bookings/')
        .set(buyer.headers)
        .send({ event_id: eventId, number_of_tickets: 2 })
        .expect(201);
      await eventually(async () => ((await inventoryOf(db, eventId)).booked_tickets === 2 ? true : undefined));

      // Nest runs the shutdown hooks (BullMQ workers close after their active jobs), then the worker exits.
      expect(await worker.stop()).toBe(0);
      expect(worker.output()).toMatch(/worker ready/);
      // Logged within milliseconds of the exit: it is there only if the batched log lines were flushed.
      expect(worker.output()).toMatch(/"signal":"SIGTERM".*worker told to stop[\s\S]*worker stopping/);
      const after = await eventually(async () => {
        const response = await http.get('/api/health/');
        return response.body.workers === 0 ? response : undefined;
      });
      expect(after.status).toBe(503);
      expect(after.body.status).toBe('degraded');
    } finally {
      await worker.stop(); // a no-op once stopped; keeps a failed run from leaving a worker for later files
    }
  });

  it('refuses to start, naming INFO, where its Redis user may not run it (it spun at full CPU, deaf to SIGTERM)', async () => {
    // A Redis of the test's own, whose ACL user has every command but INFO, as managed presets without @dangerous.
    const [port, folder] = [await freePort(), mkdtempSync(join(tmpdir(), 'evently-no-info-'))];
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', folder]);
    const cli = (...args: string[]) =>
      execFileSync('redis-cli', ['-p', String(port), ...args])
        .toString()
        .trim();
    try {
      await eventually(async () => {
        try {
          return cli('PING') === 'PONG' ? true : undefined;
        } catch {
          return undefined; // not listening yet
        }
      }, 5000);
      cli('ACL', 'SETUSER', 'no_info', 'on', '>no-info-pass', '~*', '&*', '+@all', '-info');
      const worker = launchWorkerProcess({ REDIS_URL: `redis://no_info:no-info-pass@127.0.0.1:${port}/0` });
      const exited = once(worker.child, 'exit').then(([code]) => code as number);
      const outcome = await Promise.race([exited, sleep(20_000, 'still running')]);
      if (outcome === 'still running') await worker.kill9();
      expect(outcome).toBe(1);
      expect(worker.output()).toMatch(/Redis refuses INFO to REDIS_URL's user .*NOPERM.*grant it/);
    } finally {
      redis.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('quits at once on a second signal seconds after the first, when closing waits on a Redis that is away', async () => {
    const worker = await startWorkerProcess({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      await eventually(async () => (worker.output().includes('Redis cannot be reached') ? true : undefined));
      const { runningAfterFirst, exit } = await terminateTwice(worker, 'worker told to stop');
      expect(worker.output()).toContain('send SIGTERM again, a few seconds later, to quit at once');
      expect(runningAfterFirst).toBe(true);
      expect(exit).toBe(exitStatusOf('SIGTERM'));
    } finally {
      await worker.kill9();
    }
  }, 30_000);

  it('stops taking booking jobs as soon as it stops, while its mail processor still finishes a send', async () => {
    const worker = await startTestWorker();
    const bookings = worker.get(BookingProcessor).worker;
    const mail = worker.get(MailProcessor).worker;
    // The mail worker's close waits, as it does for a send to a slow SMTP server, until the test lets it finish.
    let finishSend!: () => void;
    const sending = new Promise<void>((resolve) => (finishSend = resolve));
    const closeMail = mail.close.bind(mail);
    jest.spyOn(mail, 'close').mockImplementation(() => sending.then(() => closeMail()));

    const stopped = worker.close();
    try {
      await eventually(async () => (bookings.closing ? true : undefined), 5_000);
    } finally {
      finishSend();
      await stopped;
    }
    expect(bookings.isRunning()).toBe(false);
  });
});
