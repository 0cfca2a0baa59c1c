/** Every queue and job name, and the payload each job carries. One handler per job name (a test checks). */
export const QUEUES = {
  bookings: 'bookings',
  mail: 'mail',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const BOOKING_JOBS = {
  settle: 'settle-booking',
} as const;

export const MAIL_JOBS = {
  bookingConfirmed: 'booking-confirmed',
  bookingCancelled: 'booking-cancelled',
  eventNotice: 'event-notice',
  eventCancelled: 'event-cancelled',
} as const;

export interface JobPayloads {
  [BOOKING_JOBS.settle]: { bookingId: string; eventId: string };
  [MAIL_JOBS.bookingConfirmed]: { bookingId: string };
  [MAIL_JOBS.bookingCancelled]: { bookingId: string };
  [MAIL_JOBS.eventNotice]: { noticeId: string; userId: number };
  [MAIL_JOBS.eventCancelled]: { eventId: string; userId: number };
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [BOOKING_JOBS.settle]: QUEUES.bookings,
  [MAIL_JOBS.bookingConfirmed]: QUEUES.mail,
  [MAIL_JOBS.bookingCancelled]: QUEUES.mail,
  [MAIL_JOBS.eventNotice]: QUEUES.mail,
  [MAIL_JOBS.eventCancelled]: QUEUES.mail,
};

/**
 * The job id doubles as the deduplication key: BullMQ ignores an add whose id still exists. BullMQ refuses
 * custom ids containing `:` (its key separator), hence the dashes.
 */
export const jobIds = {
  settle: (bookingId: string) => `settle-${bookingId}`,
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
