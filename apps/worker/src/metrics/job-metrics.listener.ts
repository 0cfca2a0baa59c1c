import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Job } from 'bullmq';

import { Metrics } from '@evently/metrics';

import { BookingProcessor } from '../bookings/booking.processor';
import { MailProcessor } from '../mail/mail.processor';

/** Counts every job attempt of this worker's processors and times it, per queue. */
@Injectable()
export class JobMetricsListener implements OnApplicationBootstrap {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    for (const processor of [BookingProcessor, MailProcessor]) {
      const { worker } = this.moduleRef.get(processor, { strict: false });
      worker.on('completed', (job) => this.record(job, 'completed'));
      worker.on('failed', (job) => job && this.record(job, 'failed'));
    }
  }

  private record(job: Job, outcome: 'completed' | 'failed'): void {
    const queue = job.queueName;
    (outcome === 'completed' ? this.metrics.jobsCompleted : this.metrics.jobsFailed).inc({ queue });
    if (job.processedOn && job.finishedOn) {
      this.metrics.jobDuration.observe({ queue }, (job.finishedOn - job.processedOn) / 1000);
    }
  }
}
