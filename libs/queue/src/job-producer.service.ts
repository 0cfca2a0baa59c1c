import { setImmediate } from 'node:timers/promises';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';

import { withTimeout } from '@evently/cache';

import { BOOKING_JOBS, JOB_QUEUE, OutgoingJob, QUEUES, settleSignalId } from './queue-names';
import { logQueueErrors } from './queue-errors';

const ENQUEUE_BUDGET_MS = 2000;
const LOOKUP_BUDGET_MS = 5000;

/** Typed, deduplicated enqueueing onto Evently's queues. */
@Injectable()
export class JobProducer {
  private readonly queues: Record<string, Queue>;
  /**
   * Commands that outlived their budget and are still unanswered. Redis is then hanging (stopped, stalled in a fork,
   * cut off without a reset) while the connection still reads as ready, and each command sent meanwhile would wait in
   * the client's queue: the relay's re-adds every 2 s and the follow-up's lookups piled up there for as long as the hang
   * lasted, then reached Redis all at once.
   */
  private unanswered = 0;

  constructor(@InjectQueue(QUEUES.bookings) bookings: Queue, @InjectQueue(QUEUES.mail) mail: Queue) {
    this.queues = { [QUEUES.bookings]: bookings, [QUEUES.mail]: mail };
    const logger = new Logger(JobProducer.name);
    for (const [name, queue] of Object.entries(this.queues)) logQueueErrors(queue, logger, `queue ${name}`);
  }

  /** Adds jobs with their ids; throws when Redis does not take them within the budget. */
  async add(jobs: OutgoingJob[]): Promise<void> {
    // A worker's connection queues commands while Redis is away: re-added every relay run, they would pile up.
    if (!(await this.connected())) throw new Error('Redis is not connected; the jobs stay in the outbox');
    const byQueue = new Map<string, OutgoingJob[]>();
    for (const job of jobs) {
      const queue = JOB_QUEUE[job.name];
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), job]);
    }
    await this.withinBudget(
      () => Promise.all([...byQueue].map(([queue, queued]) => this.addToQueue(this.queues[queue], queued))),
      ENQUEUE_BUDGET_MS,
    );
  }

  /**
   * Asks a worker to settle the events' pending bookings. One signal stands for any number of bookings, so
   * a storm on one event wakes a worker per batch, not per booking: signals of one event are deduplicated. A
   * batch spread over several events is one job for all of them, settled up to a hundred events a transaction
   * rather than a transaction per event. Throws like {@link add}.
   */
  async signalSettle(eventIds: string[]): Promise<void> {
    const queue = this.queues[QUEUES.bookings];
    const [eventId] = eventIds;
    const add = () =>
      eventIds.length === 1
        ? queue.add(
            BOOKING_JOBS.settleEvent,
            { eventId },
            { deduplication: { id: settleSignalId(eventId), keepLastIfActive: true } },
          )
        : queue.add(BOOKING_JOBS.settleEvents, { eventIds });
    await this.withinBudget(add, ENQUEUE_BUDGET_MS);
  }

  /**
   * Workers start no mail job for the next `ms` (BullMQ's queue-wide limiter key, which expires on its own, so a
   * process that dies meanwhile leaves nothing to undo). Honoured only while the queue has a rate limit.
   */
  async pauseMail(ms: number): Promise<void> {
    await this.withinBudget(() => this.queues[QUEUES.mail].rateLimit(ms), ENQUEUE_BUDGET_MS);
  }

  /** The jobs' current state in BullMQ, each undefined if Redis no longer holds it; throws like {@link add}. */
  async findJobs(jobs: OutgoingJob[]): Promise<(Job | undefined)[]> {
    if (!(await this.connected())) throw new Error('Redis is not connected');
    const lookUp = () => Promise.all(jobs.map((job) => this.queues[JOB_QUEUE[job.name]].getJob(job.jobId)));
    return this.withinBudget(lookUp, LOOKUP_BUDGET_MS);
  }

  /** A lone job skips addBulk's MULTI pipeline, whose setup copies every BullMQ script (the api's hot path). */
  private async addToQueue(queue: Queue, jobs: OutgoingJob[]): Promise<void> {
    if (jobs.length === 1) {
      await queue.add(jobs[0].name, jobs[0].payload, { jobId: jobs[0].jobId });
    } else {
      await queue.addBulk(jobs.map((job) => ({ name: job.name, data: job.payload, opts: { jobId: job.jobId } })));
    }
  }

  /**
   * Whether the queues' Redis connection is up now, and answering: while it is not, commands would only pile up until
   * it is.
   */
  connected(): Promise<boolean> {
    if (this.unanswered > 0) return Promise.resolve(false);
    // BullMQ hands the client out only once it first connected; until then the promise waits, and it is not up.
    const ready = this.queues[QUEUES.mail].backend.client.then(
      (client) => client.status === 'ready',
      () => false,
    );
    return Promise.race([ready, setImmediate(false)]);
  }

  queue(name: string): Queue {
    return this.queues[name];
  }

  /**
   * Sends a command unless an earlier one is still unanswered, and waits for it `ms` at most; one that outlives its
   * budget counts as {@link unanswered} until Redis answers it.
   */
  private withinBudget<T>(send: () => Promise<T>, ms: number): Promise<T> {
    if (this.unanswered > 0) return Promise.reject(new Error('Redis has not answered an earlier command yet'));
    const command = send();
    let pending = true;
    const answered = () => void (pending = false);
    command.then(answered, answered);
    return withTimeout(command, ms).catch((error: unknown) => {
      if (pending) {
        this.unanswered += 1;
        const settled = () => void (this.unanswered -= 1);
        command.then(settled, settled);
      }
      throw error;
    });
  }
}
