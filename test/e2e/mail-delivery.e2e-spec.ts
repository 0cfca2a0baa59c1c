import { setTimeout } from 'node:timers/promises';

import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Job, Queue } from 'bullmq';
import request from 'supertest';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';

import { MailService } from '@evently/mail';
import { jobIds, JobProducer, MAIL_JOBS, mailJobs, OutboxRelay, QUEUES } from '@evently/queue';
import { createEvent, eventually, loginAs, TestSession, uniqueName } from '@evently/testing';

import { insertBookings } from '../support/booking-rows';
import { waitForBlocked } from '../support/lock-waits';
import { CapturedMail, SmtpCapture } from '../support/smtp-capture';
import { createTestApp, startTestWorker } from '../support/test-app';

describe('mail: every email kind, sent once, through SMTP outages', () => {
  let smtp: SmtpCapture;
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let mailQueue: Queue;

  beforeAll(async () => {
    smtp = await SmtpCapture.start();
    process.env.EMAIL_HOST = '127.0.0.1';
    process.env.EMAIL_PORT = String(smtp.port);
    app = await createTestApp();
    worker = await startTestWorker();
    http = request(app.getHttpServer());
    dataSource = app.get(DataSource);
    mailQueue = app.get(JobProducer).queue(QUEUES.mail);
  });
  afterAll(async () => {
    await worker.close();
    await app.close();
    await smtp.stop();
  });

  const mailsTo = (address: string, subject: string) => smtp.to(address).filter((mail) => mail.subject === subject);
  const oneMail = (address: string, subject: string) =>
    eventually(async () => {
      const mails = mailsTo(address, subject);
      return mails.length > 0 ? mails : undefined;
    }, 30_000);

  async function jobIn(jobId: string, state: 'completed' | 'failed'): Promise<Job> {
    // State first, then the job: a job read before it finished would lack its failedReason or returnvalue.
    return eventually(async () => {
      if ((await mailQueue.getJobState(jobId)) !== state) return undefined;
      return mailQueue.getJob(jobId);
    }, 40_000);
  }

  async function attendee(name: string, bookings: { status: 'confirmed' | 'cancelled'; tickets?: number }[]) {
    const { user } = await loginAs(app, 'staff');
    const eventId = await createEvent(dataSource, { organizerId: user.id, name, venue: 'Main Hall' });
    const ids = await insertBookings(
      dataSource,
      bookings.map((booking) => ({ eventId, userId: user.id, wasConfirmed: true, ...booking })),
    );
    return { user, eventId, bookingIds: ids };
  }

  it('emails a confirmation when the worker confirms a booking, and a notice when it is cancelled', async () => {
    const { user: organizer } = await loginAs(app, 'staff');
    const name = `Rock & <Roll> ${uniqueName('night')}`;
    const eventId = await createEvent(dataSource, {
      organizerId: organizer.id,
      name,
      venue: 'Arena 1',
      price: '25.50',
    });
    const { user, headers } = await loginAs(app);

    const created = await http
      .post('/api/bookings/')
      .set(headers)
      .send({ event_id: eventId, number_of_tickets: 2 })
      .expect(201);
    const bookingId: string = created.body.id;
    const [confirmed] = await oneMail(user.email, `Booking confirmed: ${name}`);

    expect(confirmed.envelopeTo).toEqual([user.email]);
    expect(confirmed.headers.to).toContain(user.email);
    expect(confirmed.headers.from).toContain('noreply@evently.com');
    expect(confirmed.headers['message-id']).toMatch(/^<[0-9a-f]{32}@evently\.com>$/);
    for (const part of [confirmed.text, confirmed.html]) {
      expect(part).toContain(bookingId);
      expect(part).toContain('51.00');
      expect(part).toContain('Arena 1');
      expect(part).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    }
    expect(confirmed.text).toContain(`Your booking for ${name} is confirmed.`);
    expect(confirmed.text).toContain('Tickets: 2');
    expect(confirmed.html).toContain('Rock &amp; &lt;Roll&gt;');
    expect(confirmed.html).not.toContain('<Roll>');

    await http.delete(`/api/bookings/${bookingId}/`).set(headers).expect(200);
    const [cancelled] = await oneMail(user.email, `Booking cancelled: ${name}`);
    expect(cancelled.envelopeTo).toEqual([user.email]);
    expect(cancelled.text).toContain(bookingId);
    expect(cancelled.text).toContain('its 2 ticket(s) released');
    expect(cancelled.html).toContain(bookingId);
    expect(mailsTo(user.email, `Booking confirmed: ${name}`)).toHaveLength(1);
  }, 90_000);

  it('greets each holder by first name, on one line, or by username without one, in the Evently layout', async () => {
    const name = uniqueName('Greeting');
    const { user: named, bookingIds: namedBookings } = await attendee(name, [{ status: 'cancelled' }]);
    const { user: unnamed, bookingIds: unnamedBookings } = await attendee(name, [{ status: 'cancelled' }]);
    // Anyone may register with anyone's address: a first name must not start paragraphs of its own.
    await dataSource.query(`UPDATE users SET first_name = $2 WHERE id = $1`, [
      named.id,
      'Ann\n\nYour account is locked: http://evil.example',
    ]);
    await app.get(JobProducer).add(
      [namedBookings[0], unnamedBookings[0]].map((bookingId) => ({
        name: MAIL_JOBS.bookingCancelled,
        jobId: jobIds.bookingCancelled(bookingId),
        payload: { bookingId },
      })),
    );

    const [toNamed] = await oneMail(named.email, `Booking cancelled: ${name}`);
    const [toUnnamed] = await oneMail(unnamed.email, `Booking cancelled: ${name}`);
    expect(toNamed.text).toMatch(/^Hi Ann Your account is locked: http:\/\/evil\.example,\n\nYour booking/);
    expect(toNamed.html).toContain('Hi Ann Your account is locked: http://evil.example,');
    expect(toUnnamed.text).toContain(`Hi ${unnamed.username},\n`);
    for (const mail of [toNamed, toUnnamed]) {
      expect(mail.html).toMatch(/^<!DOCTYPE html>/);
      expect(mail.html).toContain('You receive this email because you booked tickets on Evently.');
    }
  });

  it('tells the holder of a booking cancelled before the worker decided it', async () => {
    const { user: organizer } = await loginAs(app, 'staff');
    const name = uniqueName('Early exit');
    const eventId = await createEvent(dataSource, { organizerId: organizer.id, name });
    const { user, headers } = await loginAs(app);
    const [bookingId] = await insertBookings(dataSource, [{ eventId, userId: user.id, status: 'processing' }]);

    await http.delete(`/api/bookings/${bookingId}/`).set(headers).expect(200);
    const [cancelled] = await oneMail(user.email, `Booking cancelled: ${name}`);
    expect(cancelled.text).toContain(bookingId);
    expect(mailsTo(user.email, `Booking confirmed: ${name}`)).toHaveLength(0);
  });

  it('tells each attendee of a deleted event, once, that it is cancelled', async () => {
    const organizer = await loginAs(app, 'staff');
    const name = uniqueName('Cancelled gala');
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, name, venue: 'Main Hall' });
    const [{ user: holderOfTwo }, { user: holderOfOne }] = await Promise.all([loginAs(app), loginAs(app)]);
    await insertBookings(dataSource, [
      { eventId, userId: holderOfTwo.id, status: 'confirmed' },
      { eventId, userId: holderOfTwo.id, status: 'confirmed', tickets: 3 },
      { eventId, userId: holderOfOne.id, status: 'confirmed' },
    ]);

    await http.delete(`/api/admin/events/${eventId}/delete/`).set(organizer.headers).expect(200);
    await mailJobsFinished(eventId);

    const cancellations = smtp.messages.filter((mail) => mail.subject === `Event cancelled: ${name}`);
    expect(cancellations.map((mail) => mail.envelopeTo).sort()).toEqual(
      [[holderOfOne.email], [holderOfTwo.email]].sort(),
    );
    for (const mail of cancellations) {
      expect(mail.text).toContain(`${name}, planned for`);
      expect(mail.text).toContain('Main Hall');
      expect(mail.html).toContain('has been cancelled');
    }
  });

  /**
   * Resolves once a worker has finished every mail job written for the event. It marks a job finished only after the
   * SMTP server took the message, so by then every mail the event's jobs send has arrived, and no more are coming.
   */
  async function mailJobsFinished(eventId: string): Promise<void> {
    await eventually(async () => {
      const [{ unfinished }] = await dataSource.query(
        `SELECT count(*) FILTER (WHERE finished_at IS NULL)::int AS unfinished FROM outbox WHERE payload->>'eventId' = $1`,
        [eventId],
      );
      return unfinished === 0 ? true : undefined;
    }, 30_000);
  }

  /** Deletes `count` events of one attendee and publishes their cancellation mails; resolves once all arrived. */
  async function cancellationBurst(count: number): Promise<CapturedMail[]> {
    const { user } = await loginAs(app, 'staff');
    const name = uniqueName('Burst');
    const eventIds = await Promise.all(
      Array.from({ length: count }, () => createEvent(dataSource, { organizerId: user.id, name })),
    );
    const relay = app.get(OutboxRelay);
    const outboxed = await dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE events SET deleted_at = now() WHERE id = ANY($1)`, [eventIds]);
      return relay.write(
        manager,
        eventIds.map((eventId) => ({
          name: MAIL_JOBS.eventCancelled,
          jobId: jobIds.eventCancelled(eventId, user.id),
          payload: { eventId, userId: user.id },
        })),
      );
    });
    await relay.publish(outboxed);
    return eventually(async () => {
      const mails = mailsTo(user.email, `Event cancelled: ${name}`);
      return mails.length === count ? mails : undefined;
    }, 30_000);
  }

  it('sends a burst of mails over a few reused connections, not one connection per mail', async () => {
    const connectionsBefore = smtp.connections;
    await cancellationBurst(12);
    expect(smtp.connections - connectionsBefore).toBeLessThanOrEqual(4);
  });

  it('sends from DEFAULT_FROM_EMAIL with its display name, and gives the Message-ID its domain', async () => {
    process.env.DEFAULT_FROM_EMAIL = 'Evently Tickets <tickets@mail.evently.test>';
    const sender = await startTestWorker().finally(() => delete process.env.DEFAULT_FROM_EMAIL);
    try {
      const to = `${uniqueName('fan')}@example.com`;
      const context = { name: 'Fan', eventName: 'Sender night', venue: 'Hall', eventTime: '2030-01-01 20:00 UTC' };
      await sender.get(MailService).sendOnce({ kind: 'event-cancelled', dedupeKey: `sender:${to}`, to, context });
      const [mail] = await oneMail(to, 'Event cancelled: Sender night');
      expect(mail.headers.from).toMatch(/^"?Evently Tickets"? <tickets@mail\.evently\.test>$/);
      expect(mail.headers['message-id']).toMatch(/^<[0-9a-f]{32}@mail\.evently\.test>$/);
    } finally {
      await sender.close();
    }
  });

  it('starts no more than MAIL_RATE_PER_SECOND mail jobs a second, whichever worker runs them', async () => {
    const previous = await mailQueue.getGlobalRateLimit();
    process.env.MAIL_RATE_PER_SECOND = '4';
    const limited = await startTestWorker().finally(() => delete process.env.MAIL_RATE_PER_SECOND);
    // So many a second: the same number over a longer window would be a lower rate.
    const limitIs = (max: number) =>
      eventually(async () => {
        const limit = await mailQueue.getGlobalRateLimit();
        return (limit?.max === max && limit.duration === 1000) || undefined;
      });
    try {
      await limitIs(4);
      const arrivals = (await cancellationBurst(12)).map((mail) => mail.receivedAt);
      // Twelve jobs at four a second start in three one-second windows; without the limit they arrive within ~0.1 s.
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(1000);

      await mailQueue.removeGlobalRateLimit(); // as a Redis restarted empty would have lost it
      (await limited.get<Queue>(getQueueToken(QUEUES.mail)).backend.client).disconnect(true);
      await limitIs(4);
    } finally {
      await limited.close();
      if (previous) await mailQueue.setGlobalRateLimit(previous.max, previous.duration);
      else await mailQueue.removeGlobalRateLimit();
    }
  });

  it('lifts the queue-wide limit for MAIL_RATE_PER_SECOND=0, as documented, rather than setting a limit of 0', async () => {
    const previous = await mailQueue.getGlobalRateLimit();
    process.env.MAIL_RATE_PER_SECOND = '0';
    const unlimited = await startTestWorker().finally(() => delete process.env.MAIL_RATE_PER_SECOND);
    try {
      await eventually(async () => ((await mailQueue.getGlobalRateLimit()) === null ? true : undefined));
    } finally {
      await unlimited.close();
      if (previous) await mailQueue.setGlobalRateLimit(previous.max, previous.duration);
    }
  });

  /**
   * Sends `perBooker` requests of each session at once for one event, while the event row is locked so the first
   * inserts wait and the requests behind them gather into one large batch; says whether mail was held back meanwhile.
   */
  async function rush(eventId: string, bookers: TestSession[], perBooker: number) {
    // Workers honour a pause only on a rate-limited queue; the worker sets the limit as it starts, without waiting.
    await eventually(async () => (await mailQueue.getGlobalRateLimit())?.max === 100 || undefined);
    let rushing = true;
    let heldBack = false;
    const watch = (async () => {
      // Over the queue's own rate limit: only a pause puts the limiter there, 40 mail jobs never would.
      // A pause lasts a second, so a look every 10 ms cannot miss it.
      while (rushing && !heldBack) {
        heldBack = (await mailQueue.getRateLimitTtl()) > 0;
        await setTimeout(10);
      }
    })();
    const lock = dataSource.createQueryRunner();
    let releasedAt = 0;
    const statuses = await (async () => {
      await lock.startTransaction();
      try {
        await lock.query('SELECT 1 FROM events WHERE id = $1 FOR UPDATE', [eventId]);
        const requests = bookers.flatMap((booker) => Array.from({ length: perBooker }, () => booker));
        const responses = Promise.all(
          requests.map((booker) =>
            http
              .post('/api/bookings/')
              .set(booker.headers)
              .send({ event_id: eventId, number_of_tickets: 1 })
              .then((response) => response.status),
          ),
        );
        await setTimeout(1500);
        releasedAt = Date.now();
        await lock.commitTransaction();
        return await responses;
      } finally {
        if (lock.isTransactionActive) await lock.rollbackTransaction();
        await lock.release();
        rushing = false;
      }
    })();
    await watch;
    return { statuses, heldBack, releasedAt };
  }

  it('holds mail back while bookings pour in, then sends every confirmation once', async () => {
    const { user: organizer } = await loginAs(app, 'staff');
    const name = uniqueName('Rush');
    const eventId = await createEvent(dataSource, { organizerId: organizer.id, name, capacity: 40 });
    const bookers = await Promise.all(Array.from({ length: 50 }, () => loginAs(app)));

    const { statuses, heldBack, releasedAt } = await rush(eventId, bookers, 4);

    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
    expect(heldBack).toBe(true);
    const subject = `Booking confirmed: ${name}`;
    const mails = await eventually(async () => {
      const sent = smtp.messages.filter((mail) => mail.subject === subject);
      return sent.length >= 40 ? sent : undefined;
    }, 60_000);
    expect(mails).toHaveLength(40);
    // The large batch paused mail for a second; only bookings of the few small batches before it could beat that.
    const early = mails.filter((mail) => mail.receivedAt < releasedAt + 900);
    expect(early.length).toBeLessThan(10);
  }, 120_000);

  it("does not hold everyone's mail back for one client's burst, however large", async () => {
    const { user: organizer } = await loginAs(app, 'staff');
    const eventId = await createEvent(dataSource, { organizerId: organizer.id, capacity: 40 });

    const { statuses, heldBack } = await rush(eventId, [await loginAs(app)], 200);

    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
    expect(heldBack).toBe(false);
  }, 120_000);

  /** An attendee with one confirmed booking, whose confirmation mail job has completed as sent. */
  async function confirmationSent(name: string) {
    const { user, bookingIds } = await attendee(name, [{ status: 'confirmed' }]);
    const jobId = jobIds.bookingConfirmed(bookingIds[0]);
    await app
      .get(JobProducer)
      .add([{ name: MAIL_JOBS.bookingConfirmed, jobId, payload: { bookingId: bookingIds[0] } }]);
    expect((await jobIn(jobId, 'completed')).returnvalue).toBe('sent');
    return { user, bookingIds, jobId };
  }

  it('sends nothing more when a finished job runs again, as after a crash between sending and completing', async () => {
    const name = uniqueName('Rerun');
    const { user, jobId } = await confirmationSent(name);

    await (await mailQueue.getJob(jobId))!.retry('completed');
    await eventually(async () => {
      const job = await mailQueue.getJob(jobId);
      return job && job.attemptsStarted >= 2 && (await job.getState()) === 'completed' ? true : undefined;
    }, 30_000);
    expect((await mailQueue.getJob(jobId))!.returnvalue).toBe('already-sent');
    expect(mailsTo(user.email, `Booking confirmed: ${name}`)).toHaveLength(1);
  }, 90_000);

  it('gives an email sent again the Message-ID of its first sending, so mail clients fold the two', async () => {
    const name = uniqueName('Resent');
    const { user, bookingIds, jobId } = await confirmationSent(name);

    // The record lost, as when the worker dies between the server's acceptance and the commit.
    await dataSource.query(`DELETE FROM mail_deliveries WHERE dedupe_key = $1`, [
      `booking-confirmed:${bookingIds[0]}:${user.id}`,
    ]);
    await (await mailQueue.getJob(jobId))!.retry('completed');
    const mails = await eventually(async () => {
      const sent = mailsTo(user.email, `Booking confirmed: ${name}`);
      return sent.length === 2 ? sent : undefined;
    }, 30_000);
    expect(mails[1].headers['message-id']).toBe(mails[0].headers['message-id']);
  });

  it('sends once when two jobs for the same email run side by side', async () => {
    const name = uniqueName('Twins');
    const { user, bookingIds } = await attendee(name, [{ status: 'confirmed' }]);
    const payload = { bookingId: bookingIds[0] };
    const jobs = ['a', 'b', 'c'].map((copy) => ({
      name: MAIL_JOBS.bookingConfirmed,
      jobId: `${jobIds.bookingConfirmed(bookingIds[0])}-${copy}`,
      payload,
    }));
    // Overlapping for sure: the first send is held at SMTP (its turn taken, its claim open) until another job waits for
    // its turn; each then finds the first one's claim committed.
    const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    smtp.holding = true;
    try {
      await app.get(JobProducer).add(jobs);
      await eventually(async () => (smtp.held.length > 0 ? true : undefined));
      await waitForBlocked(db, 'pg_advisory_xact_lock');
    } finally {
      smtp.holding = false;
      smtp.release(true);
      await db.end();
    }
    const results = await Promise.all(jobs.map(async (job) => (await jobIn(job.jobId, 'completed')).returnvalue));

    expect(results.sort()).toEqual(['already-sent', 'already-sent', 'sent']);
    expect(mailsTo(user.email, `Booking confirmed: ${name}`)).toHaveLength(1);
    const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM mail_deliveries WHERE dedupe_key = $1`, [
      `booking-confirmed:${bookingIds[0]}:${user.id}`,
    ]);
    expect(row.n).toBe(1);
  });

  describe('one holder’s mails about one event go out in turn', () => {
    const add = (name: 'bookingConfirmed' | 'bookingCancelled', bookingId: string) =>
      app.get(JobProducer).add([{ name: MAIL_JOBS[name], jobId: jobIds[name](bookingId), payload: { bookingId } }]);
    let db: Pool;
    beforeEach(() => (db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 })));
    afterEach(async () => {
      smtp.holding = false;
      smtp.release(true);
      await db.end();
    });

    /** A holder's one confirmed booking, and the first of its mails held at the SMTP server. */
    async function firstMailHeld(name: string, first: 'bookingConfirmed' | 'bookingCancelled') {
      const { user, eventId, bookingIds } = await attendee(name, [{ status: 'confirmed' }]);
      smtp.holding = true;
      await add(first, bookingIds[0]);
      await eventually(async () => (smtp.held.length > 0 ? true : undefined));
      return { user, eventId, bookingId: bookingIds[0] };
    }
    // As a cancel leaves it, seats given back: analytics, later in the run, checks the shared inventory is exact.
    const cancel = (bookingId: string) =>
      dataSource.query(
        `WITH cancelled AS (UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = $1
                            RETURNING event_id, ticket_count)
         UPDATE events e SET booked_tickets = e.booked_tickets - c.ticket_count FROM cancelled c WHERE e.id = c.event_id`,
        [bookingId],
      );

    it('sends a cancellation only once the confirmation being handed to SMTP has gone', async () => {
      const name = uniqueName('InTurn');
      const { user, bookingId } = await firstMailHeld(name, 'bookingConfirmed');
      await cancel(bookingId);
      await add('bookingCancelled', bookingId);
      // Without turns it would reach the server beside the confirmation; it waits for the confirmation's instead.
      await waitForBlocked(db, 'pg_advisory_xact_lock');
      expect(smtp.held.map(({ mail }) => mail.subject)).toEqual([`Booking confirmed: ${name}`]);

      smtp.holding = false;
      smtp.release(true);
      await oneMail(user.email, `Booking cancelled: ${name}`);
      expect(smtp.to(user.email).map((mail) => mail.subject)).toEqual([
        `Booking confirmed: ${name}`,
        `Booking cancelled: ${name}`,
      ]);
    });

    it("sends an event's cancellation only once the confirmation being handed to SMTP has gone", async () => {
      const name = uniqueName('CalledOff');
      const { user, eventId, bookingId } = await firstMailHeld(name, 'bookingConfirmed');
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [eventId]);
      await cancel(bookingId);
      await app.get(JobProducer).add([mailJobs.eventCancelled(eventId, user.id)]);
      // Without turns it would reach the server beside the confirmation; it waits for the confirmation's instead.
      await waitForBlocked(db, 'pg_advisory_xact_lock');
      expect(smtp.held.map(({ mail }) => mail.subject)).toEqual([`Booking confirmed: ${name}`]);

      smtp.holding = false;
      smtp.release(true);
      await oneMail(user.email, `Event cancelled: ${name}`);
      expect(smtp.to(user.email).map((mail) => mail.subject)).toEqual([
        `Booking confirmed: ${name}`,
        `Event cancelled: ${name}`,
      ]);
    });

    it('does not send a confirmation whose booking was cancelled while it waited for its turn', async () => {
      const name = uniqueName('Withdrawn');
      const { user, bookingId } = await firstMailHeld(name, 'bookingCancelled');
      await add('bookingConfirmed', bookingId); // composed while the booking is still confirmed
      await waitForBlocked(db, 'pg_advisory_xact_lock');
      await cancel(bookingId);

      smtp.holding = false;
      smtp.release(true);
      const confirmation = await jobIn(jobIds.bookingConfirmed(bookingId), 'completed');
      expect(confirmation.returnvalue).toBe('no-longer-so');
      expect(smtp.to(user.email).map((mail) => mail.subject)).toEqual([`Booking cancelled: ${name}`]);
    });

    it("does not send an event's notice whose holder's booking was cancelled while it waited for its turn", async () => {
      const name = uniqueName('Hushed');
      const { user, eventId, bookingId } = await firstMailHeld(name, 'bookingCancelled');
      const [notice] = await dataSource.query(
        `INSERT INTO event_notices (event_id, message, recipient_count) VALUES ($1, 'Doors open at 8.', 1) RETURNING id`,
        [eventId],
      );
      await app.get(JobProducer).add([mailJobs.eventNotice(notice.id, user.id)]); // composed while still confirmed
      await waitForBlocked(db, 'pg_advisory_xact_lock');
      await cancel(bookingId);

      smtp.holding = false;
      smtp.release(true);
      const noticeJob = await jobIn(jobIds.eventNotice(notice.id, user.id), 'completed');
      expect(noticeJob.returnvalue).toBe('no-longer-so');
      expect(smtp.to(user.email).map((mail) => mail.subject)).toEqual([`Booking cancelled: ${name}`]);
    });
  });

  it('retries while SMTP is down and delivers once it is back', async () => {
    const name = uniqueName('Outage');
    const { user, bookingIds } = await attendee(name, [{ status: 'cancelled' }]);
    const jobId = jobIds.bookingCancelled(bookingIds[0]);
    await smtp.stop();
    try {
      await app
        .get(JobProducer)
        .add([{ name: MAIL_JOBS.bookingCancelled, jobId, payload: { bookingId: bookingIds[0] } }]);
      const retrying = await eventually(async () => {
        const job = await mailQueue.getJob(jobId);
        return job && job.attemptsMade >= 2 ? job : undefined;
      }, 30_000);
      expect(await retrying.getState()).not.toBe('failed');
      expect(retrying.failedReason).toMatch(/ECONNREFUSED|connect/i);
      expect(mailsTo(user.email, `Booking cancelled: ${name}`)).toHaveLength(0);
    } finally {
      await smtp.listen();
    }

    const [mail] = await oneMail(user.email, `Booking cancelled: ${name}`);
    expect(mail.text).toContain(bookingIds[0]);
    const done = await jobIn(jobId, 'completed');
    expect(done.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(mailsTo(user.email, `Booking cancelled: ${name}`)).toHaveLength(1);
  }, 120_000);

  it('publishes again a mail whose job Redis lost while it waited to retry, and marks delivered jobs finished', async () => {
    const name = uniqueName('Lost');
    const { user, eventId } = await attendee(name, [{ status: 'confirmed' }]);
    const relay = app.get(OutboxRelay);
    const jobId = jobIds.eventCancelled(eventId, user.id);
    const finishedAt = async () =>
      (await dataSource.query(`SELECT finished_at FROM outbox WHERE job_id = $1`, [jobId]))[0].finished_at;
    await smtp.stop();
    try {
      const outboxed = await dataSource.transaction((manager) =>
        relay.write(manager, [{ name: MAIL_JOBS.eventCancelled, jobId, payload: { eventId, userId: user.id } }]),
      );
      await relay.publish(outboxed);
      const retrying = await eventually(async () => {
        const job = await mailQueue.getJob(jobId);
        return job && job.attemptsMade >= 1 && (await job.getState()) === 'delayed' ? job : undefined;
      }, 30_000);
      await retrying.remove(); // what Redis restarting empty does to it
    } finally {
      await smtp.listen();
    }
    // The follow-up leaves a just-published job alone: make this one old enough.
    await dataSource.query(`UPDATE outbox SET published_at = now() - interval '1 minute' WHERE job_id = $1`, [jobId]);
    expect(await relay.followUpPublished()).toBeGreaterThanOrEqual(1);

    await oneMail(user.email, `Event cancelled: ${name}`);
    const done = await jobIn(jobId, 'completed');
    await eventually(async () => ((await finishedAt()) ? true : undefined)); // marked by the worker that ran it
    // A worker that died between finishing the job and marking its row: the follow-up marks it, as BullMQ shows it.
    await dataSource.query(`UPDATE outbox SET finished_at = NULL WHERE job_id = $1`, [jobId]);
    await relay.followUpPublished();
    expect(await finishedAt()).not.toBeNull();
    await done.remove(); // as BullMQ trims completed jobs: a finished job is not lost
    // Other files' unfinished rows share the outbox table, so the run's count is not this job's: look for the job.
    await relay.followUpPublished();
    expect(await mailQueue.getJob(jobId)).toBeUndefined();
    expect(mailsTo(user.email, `Event cancelled: ${name}`)).toHaveLength(1);
  }, 150_000);

  it("sends within seconds a mail whose writer never handed it to BullMQ (killed after its commit): the worker's relay does", async () => {
    const name = uniqueName('Unhanded');
    const { user, eventId } = await attendee(name, [{ status: 'confirmed' }]);
    const relay = app.get(OutboxRelay);
    await dataSource.transaction((manager) =>
      relay.write(manager, [
        {
          name: MAIL_JOBS.eventCancelled,
          jobId: jobIds.eventCancelled(eventId, user.id),
          payload: { eventId, userId: user.id },
        },
      ]),
    );
    // The relay runs every 2 s: well within ten, with the mail sent.
    await eventually(
      async () => (mailsTo(user.email, `Event cancelled: ${name}`).length > 0 ? true : undefined),
      10_000,
    );
  });

  it('publishes again, with no one asking, a mail whose job Redis lost: the worker follows the outbox up', async () => {
    const name = uniqueName('Forgotten');
    const { user, eventId } = await attendee(name, [{ status: 'confirmed' }]);
    // Published a minute ago, yet Redis holds no such job: what a Redis restarted empty leaves.
    await dataSource.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, published_at)
       VALUES ($1, $2, $3, $4, now() - interval '1 minute')`,
      [QUEUES.mail, MAIL_JOBS.eventCancelled, jobIds.eventCancelled(eventId, user.id), { eventId, userId: user.id }],
    );
    // The follow-up runs every 15 s.
    await oneMail(user.email, `Event cancelled: ${name}`);
  }, 60_000);

  it('keeps a mail that can never be delivered as a failed job with its reason, and leaves the booking alone', async () => {
    const name = uniqueName('Bounce');
    const { user, bookingIds } = await attendee(name, [{ status: 'confirmed' }]);
    smtp.rejected.add(user.email.toLowerCase());
    const jobId = jobIds.bookingConfirmed(bookingIds[0]);
    await app
      .get(JobProducer)
      .add([{ name: MAIL_JOBS.bookingConfirmed, jobId, payload: { bookingId: bookingIds[0] } }]);

    const failed = await jobIn(jobId, 'failed');
    expect(failed.failedReason).toMatch(/rejected.*550|550.*mailbox unavailable/is);
    expect(failed.attemptsMade).toBe(1);

    const { user: noAddress, bookingIds: others } = await attendee(uniqueName('Nowhere'), [{ status: 'confirmed' }]);
    await dataSource.query(`UPDATE users SET email = '' WHERE id = $1`, [noAddress.id]);
    const otherJobId = jobIds.bookingConfirmed(others[0]);
    await app
      .get(JobProducer)
      .add([{ name: MAIL_JOBS.bookingConfirmed, jobId: otherJobId, payload: { bookingId: others[0] } }]);
    expect((await jobIn(otherJobId, 'failed')).failedReason).toContain('no email address');

    const rows = await dataSource.query(
      `SELECT status, confirmed_at IS NOT NULL AS confirmed FROM bookings WHERE id = ANY($1) ORDER BY id`,
      [[bookingIds[0], others[0]]],
    );
    expect(rows).toEqual([
      { status: 'confirmed', confirmed: true },
      { status: 'confirmed', confirmed: true },
    ]);
    const [deliveries] = await dataSource.query(
      `SELECT count(*)::int AS n FROM mail_deliveries WHERE dedupe_key LIKE ANY($1)`,
      [[`%${bookingIds[0]}%`, `%${others[0]}%`]],
    );
    expect(deliveries.n).toBe(0);
    expect(smtp.to(user.email)).toEqual([] as CapturedMail[]);
  }, 120_000);
});
