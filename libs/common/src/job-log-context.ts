/** The fields of a queue job worth binding to its log lines (BullMQ's Job satisfies it). */
export interface LoggableJob {
  id?: string;
  name: string;
  queueName: string;
  data: unknown;
}

const ID_FIELDS = ['bookingId', 'eventId', 'eventIds', 'noticeId', 'userId'] as const;

/** `queue`, `jobId`, `job` and whichever of bookingId/eventId(s)/noticeId/userId the payload carries. */
export function jobLogBindings(job: LoggableJob): Record<string, unknown> {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const ids = Object.fromEntries(ID_FIELDS.filter((field) => data[field] !== undefined).map((f) => [f, data[f]]));
  return { queue: job.queueName, jobId: job.id, job: job.name, ...ids };
}
