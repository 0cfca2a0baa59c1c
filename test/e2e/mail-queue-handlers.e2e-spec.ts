import { randomUUID } from 'node:crypto';

import { WorkerHost } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';

import { JOB_QUEUE, JobName, JobPayloads, QUEUES } from '@evently/queue';
import { createEvent, uniqueName } from '@evently/testing';

import { MailComposer } from '../../apps/worker/src/mail/mail-composer.service';
import { insertBookings } from '../support/booking-rows';
import { seedBookings } from '../support/event-fixtures';
import { startTestWorker } from '../support/test-app';

/** A payload for every job name; a new job name fails to compile here until it gets one. */
const SAMPLE_PAYLOADS: { [N in JobName]: JobPayloads[N] } = {
  'settle-event': { eventId: randomUUID() },
  'settle-events': { eventIds: [randomUUID(), randomUUID()] },
  'booking-confirmed': { bookingId: randomUUID() },
  'booking-cancelled': { bookingId: randomUUID() },
  'event-notice': { noticeId: randomUUID(), userId: 2_000_000_000 },
  'event-cancelled': { eventId: randomUUID(), userId: 2_000_000_000 },
};

describe('queues: every job name has exactly one handler', () => {
  let worker: INestApplicationContext;
  let processors: Map<string, WorkerHost[]>;

  beforeAll(async () => {
    worker = await startTestWorker();
    processors = new Map();
    for (const wrapper of worker.get(DiscoveryService).getProviders()) {
      if (!(wrapper.instance instanceof WorkerHost)) continue;
      const queue = wrapper.instance.worker.name;
      processors.set(queue, [...(processors.get(queue) ?? []), wrapper.instance]);
    }
  });
  afterAll(() => worker.close());

  const fakeJob = (name: string) =>
    ({ id: `handler-check:${name}`, name, data: SAMPLE_PAYLOADS[name as JobName] }) as Job;

  it.each(Object.values(QUEUES))('queue %s has exactly one processor', (queue) => {
    expect(processors.get(queue)).toHaveLength(1);
  });

  it.each(Object.keys(JOB_QUEUE) as JobName[])('job %s is handled by its queue’s processor', async (name) => {
    const [processor] = processors.get(JOB_QUEUE[name])!;
    // The payloads point at nothing, so each handler finds nothing to do; what matters is that one ran.
    await expect(processor.process(fakeJob(name))).resolves.not.toThrow();
  });

  it.each(Object.keys(JOB_QUEUE) as JobName[])('job %s is refused by every other queue’s processor', async (name) => {
    for (const [queue, [processor]] of processors) {
      if (queue === JOB_QUEUE[name]) continue;
      await expect(processor.process(fakeJob(name))).rejects.toThrow(`no handler for job ${name}`);
    }
  });

  it('settles, on one settle-events job, the pending bookings of every event it names', async () => {
    const dataSource = worker.get(DataSource);
    const username = uniqueName('together');
    const [user] = await dataSource.query(
      `INSERT INTO users (username, email, password) VALUES ($1, $2, 'unusable') RETURNING id`,
      [username, `${username}@example.com`],
    );
    const eventIds = [
      await createEvent(dataSource, { organizerId: user.id }),
      await createEvent(dataSource, { organizerId: user.id }),
    ];
    for (const eventId of eventIds) await seedBookings(dataSource, { eventId, userId: user.id, status: 'processing' });

    const [processor] = processors.get(QUEUES.bookings)!;
    await processor.process({ id: uniqueName('settle-events'), name: 'settle-events', data: { eventIds } } as Job);
    const statuses = await dataSource.query(`SELECT status FROM bookings WHERE event_id = ANY($1::uuid[])`, [eventIds]);
    expect(statuses).toEqual([{ status: 'confirmed' }, { status: 'confirmed' }]);
  });

  it('refuses a job name nobody declared', async () => {
    for (const [, [processor]] of processors) {
      await expect(processor.process(fakeJob('no-such-job'))).rejects.toThrow('no handler for job no-such-job');
    }
  });

  it('leaves a job name it does not know to be retried (a newer worker’s job during a rolling upgrade)', async () => {
    for (const [, [processor]] of processors) {
      const refusal = await processor.process(fakeJob('no-such-job')).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(Error);
      expect(refusal).not.toBeInstanceOf(UnrecoverableError);
    }
  });
});

describe('mail: what a mail is about changed before it went out', () => {
  let worker: INestApplicationContext;
  let dataSource: DataSource;
  let composer: MailComposer;

  beforeAll(async () => {
    worker = await startTestWorker();
    dataSource = worker.get(DataSource);
    composer = worker.get(MailComposer);
  });
  afterAll(() => worker.close());

  const createUser = async (): Promise<number> => {
    const username = uniqueName('late');
    const [user] = await dataSource.query(
      `INSERT INTO users (username, email, password) VALUES ($1, $2, 'unusable') RETURNING id`,
      [username, `${username}@example.com`],
    );
    return user.id;
  };

  const noticeOf = async (eventId: string): Promise<string> => {
    const [notice] = await dataSource.query(
      `INSERT INTO event_notices (event_id, message, recipient_count) VALUES ($1, 'Doors open at 8.', 1) RETURNING id`,
      [eventId],
    );
    return notice.id;
  };

  it('a confirmation whose booking was cancelled is not sent, while the cancellation is', async () => {
    const userId = await createUser();
    const eventId = await createEvent(dataSource, { organizerId: userId });
    const [bookingId] = await insertBookings(dataSource, [
      { eventId, userId, status: 'cancelled', wasConfirmed: true },
    ]);

    expect(await composer.bookingConfirmed(bookingId)).toBeNull();
    expect(await composer.bookingCancelled(bookingId)).toMatchObject({ kind: 'booking-cancelled' });
  });

  it("an event's notice goes to a holder of a confirmed booking, and not once the event is deleted", async () => {
    const userId = await createUser();
    const eventId = await createEvent(dataSource, { organizerId: userId });
    await insertBookings(dataSource, [{ eventId, userId, status: 'confirmed' }]);
    const noticeId = await noticeOf(eventId);
    expect(await composer.eventNotice(noticeId, userId)).toMatchObject({ kind: 'event-notice' });

    await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [eventId]);
    expect(await composer.eventNotice(noticeId, userId)).toBeNull();
    expect(await composer.eventCancelled(eventId, userId)).toMatchObject({ kind: 'event-cancelled' });
  });

  it("an event's notice does not go to a recipient who has cancelled since", async () => {
    const userId = await createUser();
    const eventId = await createEvent(dataSource, { organizerId: userId });
    await insertBookings(dataSource, [{ eventId, userId, status: 'cancelled', wasConfirmed: true }]);

    expect(await composer.eventNotice(await noticeOf(eventId), userId)).toBeNull();
  });
});
