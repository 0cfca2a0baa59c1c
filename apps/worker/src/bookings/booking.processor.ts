import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';

import { BookingAllocator } from '@evently/bookings';
import { jobLogBindings } from '@evently/common';
import { AppConfig } from '@evently/config';
import { BOOKING_JOBS, JobPayloads, logQueueErrors, QUEUES, WORKER_NAME } from '@evently/queue';

import { ProcessorsClosing } from '../processors/processors-closing';
import { databasePoolShortfall } from './database-pool-check';

type BookingJobName = (typeof BOOKING_JOBS)[keyof typeof BOOKING_JOBS];
type SettleHandlers = { [N in BookingJobName]: (payload: JobPayloads[N]) => Promise<void> };

/**
 * Settles events' pending bookings on their signal. A second run finds nothing pending and does nothing. A short
 * lock lets another worker take over a killed one's job within about 15 s: until then the event's later signals wait
 * behind it (one job per event), and BullMQ's default 30 s lock and stall check would leave its bookings to the
 * sweeper for up to a minute.
 */
@Processor(QUEUES.bookings, { name: WORKER_NAME, lockDuration: 10_000, stalledInterval: 5_000 })
export class BookingProcessor extends WorkerHost implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BookingProcessor.name);

  /** One handler per job name; the mapped type makes a missing one a compile error. */
  readonly handlers: SettleHandlers = {
    [BOOKING_JOBS.settleEvent]: ({ eventId }) => this.allocator.settlePending([eventId]),
    [BOOKING_JOBS.settleEvents]: ({ eventIds }) => this.allocator.settlePending(eventIds),
  };

  constructor(
    private readonly allocator: BookingAllocator,
    private readonly config: AppConfig,
    private readonly pino: PinoLogger,
    private readonly closing: ProcessorsClosing,
  ) {
    super();
  }

  onModuleInit(): void {
    this.closing.register(this.worker);
    logQueueErrors(this.worker, this.logger, 'bookings worker');
    this.worker.concurrency = this.config.workerConcurrency;
    const shortfall = databasePoolShortfall(this.config);
    if (shortfall) this.logger.warn(shortfall);
  }

  /** Takes no new jobs, with every other processor, and finishes the active ones while the database and Redis are open. */
  onModuleDestroy(): Promise<void> {
    return this.closing.closeAll();
  }

  /** Every log line of the job, down to the allocator's, carries its jobId and its eventId or eventIds. */
  process(job: Job): Promise<void> {
    return this.pino.runInContext(() => this.settle(job), { bindings: jobLogBindings(job) });
  }

  private async settle(job: Job): Promise<void> {
    await this.handlerFor(job.name)(job.data);
  }

  private handlerFor(name: string): (payload: unknown) => Promise<void> {
    if (!Object.hasOwn(this.handlers, name)) throw new Error(`no handler for job ${name}`);
    return this.handlers[name as BookingJobName] as (payload: unknown) => Promise<void>;
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn({ ...(job && jobLogBindings(job)), err: error.message }, 'settle job failed');
  }
}
