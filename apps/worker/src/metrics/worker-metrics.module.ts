import { Module } from '@nestjs/common';

import { JobMetricsListener } from './job-metrics.listener';
import { WorkerMetricsServer } from './worker-metrics.server';

/** The worker's job counters and its Prometheus endpoint; the metric definitions live in `@evently/metrics`. */
@Module({ providers: [JobMetricsListener, WorkerMetricsServer] })
export class WorkerMetricsModule {}
