import { bookingTaskId, JOB_QUEUE, jobIds, MAIL_JOBS, mailJobs, QUEUES, settleSignalId } from './queue-names';

describe('jobIds', () => {
  it('never contain ":", which BullMQ refuses in custom job ids', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const ids = [
      bookingTaskId(uuid),
      settleSignalId(uuid),
      jobIds.bookingConfirmed(uuid),
      jobIds.bookingCancelled(uuid),
      jobIds.eventNotice(uuid, 7),
      jobIds.eventCancelled(uuid, 7),
    ];
    for (const id of ids) expect(id).not.toContain(':');
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('mailJobs', () => {
  it('builds each mail job for the mail queue, with its payload and the id that keeps it one', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect([
      mailJobs.bookingConfirmed(uuid),
      mailJobs.bookingCancelled(uuid),
      mailJobs.eventNotice(uuid, 7),
      mailJobs.eventCancelled(uuid, 7),
    ]).toEqual([
      { name: MAIL_JOBS.bookingConfirmed, jobId: jobIds.bookingConfirmed(uuid), payload: { bookingId: uuid } },
      { name: MAIL_JOBS.bookingCancelled, jobId: jobIds.bookingCancelled(uuid), payload: { bookingId: uuid } },
      { name: MAIL_JOBS.eventNotice, jobId: jobIds.eventNotice(uuid, 7), payload: { noticeId: uuid, userId: 7 } },
      { name: MAIL_JOBS.eventCancelled, jobId: jobIds.eventCancelled(uuid, 7), payload: { eventId: uuid, userId: 7 } },
    ]);
    for (const name of Object.values(MAIL_JOBS)) expect(JOB_QUEUE[name]).toBe(QUEUES.mail);
  });
});
