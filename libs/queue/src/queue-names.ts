/** Every queue and job name, and the payload each job carries. One handler per job name (a test checks). */
export const QUEUES = {
  bookings: 'bookings',
  mail: 'mail',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const BOOKING_JOBS = {
  settleEvent: 'settle-event',
  settleEvents: 'settle-events',
} as const;

export const MAIL_JOBS = {
  bookingConfirmed: 'booking-confirmed',
  bookingCancelled: 'booking-cancelled',
  eventNotice: 'event-notice',
  eventCancelled: 'event-cancelled',
} as const;

export interface JobPayloads {
  [BOOKING_JOBS.settleEvent]: { eventId: string };
  [BOOKING_JOBS.settleEvents]: { eventIds: string[] };
  [MAIL_JOBS.bookingConfirmed]: { bookingId: string };
  [MAIL_JOBS.bookingCancelled]: { bookingId: string };
  [MAIL_JOBS.eventNotice]: { noticeId: string; userId: number };
  [MAIL_JOBS.eventCancelled]: { eventId: string; userId: number };
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [BOOKING_JOBS.settleEvent]: QUEUES.bookings,
  [BOOKING_JOBS.settleEvents]: QUEUES.bookings,
  [MAIL_JOBS.bookingConfirmed]: QUEUES.mail,
  [MAIL_JOBS.bookingCancelled]: QUEUES.mail,
  [MAIL_JOBS.eventNotice]: QUEUES.mail,
  [MAIL_JOBS.eventCancelled]: QUEUES.mail,
};

/**
 * The job id doubles as the deduplication key: BullMQ ignores an add whose id still exists.
 * BullMQ refuses `:` in custom ids, hence the dashes.
 */
export const jobIds = {
  bookingConfirmed: (bookingId: string) => `mail-confirmed-${bookingId}`,
  bookingCancelled: (bookingId: string) => `mail-cancelled-${bookingId}`,
  eventNotice: (noticeId: string, userId: number) => `mail-notice-${noticeId}-${userId}`,
  eventCancelled: (eventId: string, userId: number) => `mail-event-cancelled-${eventId}-${userId}`,
};

export interface OutgoingJob<N extends JobName = JobName> {
  name: N;
  jobId: string;
  payload: JobPayloads[N];
}

type MailJob<N extends keyof typeof MAIL_JOBS> = OutgoingJob<(typeof MAIL_JOBS)[N]>;

/** Each mail job as its writers send it, with the id that makes it one per booking, notice or holder. */
export const mailJobs = {
  bookingConfirmed: (bookingId: string): MailJob<'bookingConfirmed'> => ({
    name: MAIL_JOBS.bookingConfirmed,
    jobId: jobIds.bookingConfirmed(bookingId),
    payload: { bookingId },
  }),
  bookingCancelled: (bookingId: string): MailJob<'bookingCancelled'> => ({
    name: MAIL_JOBS.bookingCancelled,
    jobId: jobIds.bookingCancelled(bookingId),
    payload: { bookingId },
  }),
  eventNotice: (noticeId: string, userId: number): MailJob<'eventNotice'> => ({
    name: MAIL_JOBS.eventNotice,
    jobId: jobIds.eventNotice(noticeId, userId),
    payload: { noticeId, userId },
  }),
  /** Once per event and holder, whoever cancels it (its organiser, or the worker settling a booking it finds deleted). */
  eventCancelled: (eventId: string, userId: number): MailJob<'eventCancelled'> => ({
    name: MAIL_JOBS.eventCancelled,
    jobId: jobIds.eventCancelled(eventId, userId),
    payload: { eventId, userId },
  }),
};

/**
 * A booking's `task_id`: the settlement that decides it. Bookings are settled by event, in batches, so this
 * names the booking's share of that work rather than a queue job of its own.
 */
export const bookingTaskId = (bookingId: string) => `settle-${bookingId}`;

/**
 * The deduplication id of an event's settle signal: while one signal waits, more are dropped; while one runs,
 * one more is kept for after it (BullMQ's keepLastIfActive), so a booking committed mid-run is never missed.
 */
export const settleSignalId = (eventId: string) => `settle-event-${eventId}`;
