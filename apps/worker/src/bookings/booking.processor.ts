import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';

import { BookingAllocator } from '@evently/bookings';
import { jobLogBindings } from '@evently/common';
import { AppConfig } from '@evently/config';
import { BOOKING_JOBS, JobPayloads, QUEUES } from '@evently/queue';

type SettleJob = Job<JobPayloads[typeof BOOKING_JOBS.settleEvent]>;

/** Settles an event's pending bookings on its signal. A second run finds nothing pending and does nothing. */
@Processor(QUEUES.bookings)
export class BookingProcessor extends WorkerHost implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BookingProcessor.name);

  constructor(
    private readonly allocator: BookingAllocator,
    private readonly config: AppConfig,
    private readonly pino: PinoLogger,
  ) {
    super();
  }

  onModuleInit(): void {
    this.worker.concurrency = this.config.workerConcurrency;
  }

  /** Takes no new jobs and finishes the active ones while the database and Redis are still open. */
  onModuleDestroy(): Promise<void> {
    return this.worker.close();
  }

  /** Every log line of the job, down to the allocator's, carries its jobId, bookingId and eventId. */
  process(job: SettleJob): Promise<void> {
    return this.pino.runInContext(() => this.settle(job), { bindings: jobLogBindings(job) });
  }

  private async settle(job: SettleJob): Promise<void> {
    switch (job.name) {
      case BOOKING_JOBS.settleEvent:
        return this.allocator.settlePending(job.data.eventId);
      default:
        throw new Error(`no handler for job ${job.name}`);
    }
  }

  @OnWorkerEvent('failed')
  onFailed(job: SettleJob | undefined, error: Error): void {
    this.logger.warn({ ...(job && jobLogBindings(job)), err: error.message }, 'settle job failed');
  }
}
