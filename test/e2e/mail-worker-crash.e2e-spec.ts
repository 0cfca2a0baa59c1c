import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';

import { jobIds, JobProducer, MAIL_JOBS, QUEUES } from '@evently/queue';
import { createEvent, eventually, loginAs, uniqueName } from '@evently/testing';

import { insertBookings } from '../support/booking-rows';
import { SmtpCapture } from '../support/smtp-capture';
import { createTestApp, startTestWorker } from '../support/test-app';

const WORKER_MAIN = 'dist/apps/worker/apps/worker/src/main.js';

describe('mail: a worker killed in the middle of a send', () => {
  let smtp: SmtpCapture;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let child: ChildProcess | undefined;
  let restarted: INestApplicationContext | undefined;

  beforeAll(async () => {
    smtp = await SmtpCapture.start();
    process.env.EMAIL_HOST = '127.0.0.1';
    process.env.EMAIL_PORT = String(smtp.port);
    // A queue of its own: other files' mail jobs still retrying would take the worker's slots while SMTP holds.
    process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}:crash`;
    app = await createTestApp();
    dataSource = app.get(DataSource);
    // The outbox table is the whole run's: a worker on these queues would take what earlier files left in it for its
    // own (the follow-up finds those jobs missing here), and their held mails would fill its slots.
    await dataSource.query(
      `UPDATE outbox SET published_at = coalesce(published_at, now()), finished_at = now() WHERE finished_at IS NULL`,
    );
    // Jobs are refused while the queues' connection is not up, as it is not yet right after the start.
    await eventually(async () => ((await app.get(JobProducer).connected()) ? true : undefined));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await restarted?.close();
    await app.close();
    await smtp.stop();
  });

  it('is taken over by a restarted worker, which delivers the email exactly once', async () => {
    const { user } = await loginAs(app);
    const name = uniqueName('Crash');
    const eventId = await createEvent(dataSource, { organizerId: user.id, name });
    const [bookingId] = await insertBookings(dataSource, [{ eventId, userId: user.id, status: 'confirmed' }]);
    const dedupeKey = `booking-confirmed:${bookingId}:${user.id}`;
    const jobId = jobIds.bookingConfirmed(bookingId);

    smtp.holding = true;
    child = spawn(process.execPath, [WORKER_MAIN], { env: { ...process.env }, stdio: 'ignore' });
    await app.get(JobProducer).add([{ name: MAIL_JOBS.bookingConfirmed, jobId, payload: { bookingId } }]);

    // The whole message is on the server, which has not said 250 yet: the worker is mid-send.
    // (Other test files' mail jobs may still be retrying on the shared queue: look for ours.)
    const held = await eventually(
      async () => smtp.held.find(({ mail }) => mail.envelopeTo.includes(user.email.toLowerCase())),
      40_000,
    );
    expect(await deliveries(dataSource, dedupeKey)).toBe(0);
    // Rendered by the compiled worker: the templates reached dist/.
    expect(held.mail.html).toContain(`<strong>${name}</strong>`);
    expect(held.mail.text).toContain(bookingId);

    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    smtp.holding = false;
    smtp.release(false);
    expect(smtp.to(user.email)).toHaveLength(0);

    restarted = await startTestWorker();
    const restartedAt = Date.now();
    await eventually(async () => (smtp.to(user.email).length > 0 ? true : undefined), 90_000, 250);
    const queue = app.get(JobProducer).queue(QUEUES.mail);
    // The state first, then the job: a job read before it completed keeps a null returnvalue even once its state is.
    const job = await eventually(async () =>
      (await queue.getJobState(jobId)) === 'completed' ? queue.getJob(jobId) : undefined,
    );
    const redeliveredAfter = Date.now() - restartedAt;
    console.info(`mail redelivered ${Math.round(redeliveredAfter / 1000)} s after the restart`);
    // The killed worker's lock expires within about 20 s (docs/operations.md): a mail is not held back a minute.
    expect(redeliveredAfter).toBeLessThan(40_000);

    expect(job.returnvalue).toBe('sent');
    const [mail] = smtp.to(user.email);
    expect(mail.subject).toBe(`Booking confirmed: ${name}`);
    expect(mail.text).toContain(bookingId);
    expect(smtp.to(user.email)).toHaveLength(1);
    expect(await deliveries(dataSource, dedupeKey)).toBe(1);
  }, 150_000);

  it('sends once when its PostgreSQL session is lost in the middle of a send', async () => {
    // A worker of its own, not one the previous test left mid-recovery: its mail slots and SMTP pool start fresh.
    await restarted?.close();
    const worker = (restarted = await startTestWorker());
    const { user } = await loginAs(app);
    const eventId = await createEvent(dataSource, { organizerId: user.id });
    const [bookingId] = await insertBookings(dataSource, [{ eventId, userId: user.id, status: 'confirmed' }]);
    const dedupeKey = `booking-confirmed:${bookingId}:${user.id}`;
    const jobId = jobIds.bookingConfirmed(bookingId);

    smtp.holding = true;
    await worker.get(JobProducer).add([{ name: MAIL_JOBS.bookingConfirmed, jobId, payload: { bookingId } }]);
    await eventually(
      async () => smtp.held.find(({ mail }) => mail.envelopeTo.includes(user.email.toLowerCase())),
      40_000,
    );
    // The claim is the session's uncommitted insert: ending that session rolls it back, as a restart would.
    const [{ ended }] = await dataSource.query(
      `SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE '%mail_deliveries%'`,
    );
    expect(ended).toBe(1);
    smtp.holding = false;
    smtp.release(true);

    const queue = app.get(JobProducer).queue(QUEUES.mail);
    const job = await eventually(async () =>
      (await queue.getJobState(jobId)) === 'completed' ? queue.getJob(jobId) : undefined,
    );
    expect(job.returnvalue).toBe('sent');
    expect(smtp.to(user.email)).toHaveLength(1);
    expect(await deliveries(dataSource, dedupeKey)).toBe(1);
  }, 60_000);
});

async function deliveries(dataSource: DataSource, dedupeKey: string): Promise<number> {
  const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM mail_deliveries WHERE dedupe_key = $1`, [
    dedupeKey,
  ]);
  return row.n;
}
