import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { User } from '@evently/database';
import { jobIds, JobProducer, QUEUES } from '@evently/queue';
import { createEvent, eventually, loginAs, TestSession, uniqueName } from '@evently/testing';

import { insertBookings } from '../support/booking-rows';
import { SmtpCapture } from '../support/smtp-capture';
import { createTestApp, startTestWorker } from '../support/test-app';

describe('POST /api/admin/events/{id}/notify/', () => {
  let smtp: SmtpCapture;
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let staff: TestSession;

  beforeAll(async () => {
    smtp = await SmtpCapture.start();
    process.env.EMAIL_HOST = '127.0.0.1';
    process.env.EMAIL_PORT = String(smtp.port);
    app = await createTestApp();
    worker = await startTestWorker();
    http = request(app.getHttpServer());
    dataSource = app.get(DataSource);
    staff = await loginAs(app, 'staff');
  });
  afterAll(async () => {
    await worker.close();
    await app.close();
    await smtp.stop();
  });

  const newEvent = (name = uniqueName('Notified')) =>
    createEvent(dataSource, { organizerId: staff.user.id, name, venue: 'Dock 7' });
  const users = (count: number) => Promise.all(Array.from({ length: count }, async () => (await loginAs(app)).user));

  /** The mail job of the event's notice for each of `people`, undefined where there is none. */
  async function noticeJobsOf(eventId: string, people: User[]) {
    const [notice] = await dataSource.query(`SELECT id FROM event_notices WHERE event_id = $1`, [eventId]);
    const queue = app.get(JobProducer).queue(QUEUES.mail);
    return Promise.all(people.map((user) => queue.getJob(jobIds.eventNotice(notice.id, user.id))));
  }

  async function noticeJobsSettled(eventId: string, recipients: User[]): Promise<void> {
    await eventually(async () => {
      const states = await Promise.all((await noticeJobsOf(eventId, recipients)).map((job) => job?.getState()));
      return states.every((state) => state === 'completed') ? true : undefined;
    }, 30_000);
  }

  it('emails each distinct confirmed attendee once, and nobody else', async () => {
    const name = uniqueName('Harbour festival');
    const eventId = await newEvent(name);
    const [twoBookings, confirmedAndCancelled, allCancelled, failedOnly, bystander] = await users(5);
    await insertBookings(dataSource, [
      { eventId, userId: twoBookings.id, status: 'confirmed', tickets: 2 },
      { eventId, userId: twoBookings.id, status: 'confirmed' },
      { eventId, userId: confirmedAndCancelled.id, status: 'confirmed' },
      { eventId, userId: confirmedAndCancelled.id, status: 'cancelled', wasConfirmed: true },
      { eventId, userId: allCancelled.id, status: 'cancelled', wasConfirmed: true },
      { eventId, userId: allCancelled.id, status: 'cancelled' },
      { eventId, userId: failedOnly.id, status: 'failed' },
    ]);
    const otherEvent = await newEvent();
    await insertBookings(dataSource, [{ eventId: otherEvent, userId: bystander.id, status: 'confirmed' }]);
    const message = 'Doors open at 18:00 <b>sharp</b> & late entry is closed.\nBring your ID.';

    const response = await http
      .post(`/api/admin/events/${eventId}/notify/`)
      .set(staff.headers)
      .send({ message })
      .expect(200);

    expect(response.body).toEqual({
      status: 'success',
      message: 'Notification sent to 2 users',
      event_id: eventId,
      users_notified: 2,
    });
    const [notice] = await dataSource.query(
      `SELECT message, sent_by, recipient_count FROM event_notices WHERE event_id = $1`,
      [eventId],
    );
    expect(notice).toEqual({ message, sent_by: staff.user.id, recipient_count: 2 });

    await noticeJobsSettled(eventId, [twoBookings, confirmedAndCancelled]);
    const subject = `Update about ${name}`;
    const notices = smtp.messages.filter((mail) => mail.subject === subject);
    expect(notices.map((mail) => mail.envelopeTo).sort()).toEqual(
      [[twoBookings.email], [confirmedAndCancelled.email]].sort(),
    );
    for (const mail of notices) {
      expect(mail.text).toContain(message);
      expect(mail.text).toContain('Dock 7');
      // A <br> for the line break: Outlook's Word engine ignores `white-space: pre-line`.
      expect(mail.html).toContain(
        'Doors open at 18:00 &lt;b&gt;sharp&lt;/b&gt; &amp; late entry is closed.<br>Bring your ID.',
      );
      expect(mail.html).not.toContain('<b>sharp</b>');
    }
    for (const user of [allCancelled, failedOnly, bystander]) expect(smtp.to(user.email)).toHaveLength(0);
    // Published with the two above, so a job for anyone else would exist by now, if not yet sent.
    expect(await noticeJobsOf(eventId, [allCancelled, failedOnly, bystander])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('answers at once, while SMTP has not accepted a single message', async () => {
    const eventId = await newEvent();
    const [attendee] = await users(1);
    await insertBookings(dataSource, [{ eventId, userId: attendee.id, status: 'confirmed' }]);
    smtp.holding = true;
    try {
      const response = await http
        .post(`/api/admin/events/${eventId}/notify`)
        .set(staff.headers)
        .send({ message: 'Parking is free tonight.' })
        .expect(200);
      expect(response.body.users_notified).toBe(1);
      // Handed to Redis before the answer, not left for the worker's next relay pass.
      const [notice] = await dataSource.query(`SELECT id FROM event_notices WHERE event_id = $1`, [eventId]);
      const [job] = await dataSource.query(`SELECT published_at FROM outbox WHERE job_id = $1`, [
        jobIds.eventNotice(notice.id, attendee.id),
      ]);
      expect(job.published_at).toBeInstanceOf(Date);
      await eventually(async () => (smtp.held.length > 0 ? true : undefined), 30_000);
      expect(smtp.to(attendee.email)).toHaveLength(0);
    } finally {
      smtp.holding = false;
      smtp.release(true);
    }
    await noticeJobsSettled(eventId, [attendee]);
    expect(smtp.to(attendee.email)).toHaveLength(1);
  });

  it('notifies nobody for an event without confirmed bookings', async () => {
    const eventId = await newEvent();
    const response = await http
      .post(`/api/admin/events/${eventId}/notify/`)
      .set(staff.headers)
      .send({ message: 'Anyone there?' })
      .expect(200);
    expect(response.body).toEqual({
      status: 'success',
      message: 'Notification sent to 0 users',
      event_id: eventId,
      users_notified: 0,
    });
  });

  it('answers with the event id in lower case, however the path spelled it', async () => {
    const eventId = await newEvent();
    const response = await http
      .post(`/api/admin/events/${eventId.toUpperCase()}/notify/`)
      .set(staff.headers)
      .send({ message: 'Anyone there?' })
      .expect(200);
    expect(response.body).toMatchObject({ event_id: eventId, users_notified: 0 });
  });

  it.each([
    ['missing', {}],
    ['empty', { message: '' }],
    ['only whitespace', { message: ' \n\t ' }],
    ['too long', { message: 'x'.repeat(5001) }],
    ['not text', { message: true }],
    ['a NUL byte', { message: 'a\u0000b' }],
  ])('refuses a message that is %s with 400 and per-field details', async (_case, body) => {
    const eventId = await newEvent();
    const response = await http.post(`/api/admin/events/${eventId}/notify/`).set(staff.headers).send(body).expect(400);
    expect(response.body.details).toHaveProperty('message');
    const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM event_notices WHERE event_id = $1`, [eventId]);
    expect(row.n).toBe(0);
  });

  it('accepts a message of exactly 5,000 characters', async () => {
    const eventId = await newEvent();
    await http
      .post(`/api/admin/events/${eventId}/notify/`)
      .set(staff.headers)
      .send({ message: 'y'.repeat(5000) })
      .expect(200);
  });

  it('is for staff only', async () => {
    const eventId = await newEvent();
    const path = `/api/admin/events/${eventId}/notify/`;
    await http.post(path).send({ message: 'hi' }).expect(401);
    await http
      .post(path)
      .set((await loginAs(app)).headers)
      .send({ message: 'hi' })
      .expect(403);
  });

  it('answers 404 for an unknown, malformed or deleted event', async () => {
    const deleted = await newEvent();
    await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', deleted]) {
      const response = await http
        .post(`/api/admin/events/${id}/notify/`)
        .set(staff.headers)
        .send({ message: 'hi' })
        .expect(404);
      expect(response.body).toEqual({ error: expect.any(String), details: null });
    }
  });
});
