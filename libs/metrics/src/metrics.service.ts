import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/**
 * Every counter and histogram Evently exports, defined once so the api and the worker name things one way.
 * Each application has a registry of its own (tests run an api and a worker in one process); a counter
 * lives in whichever process does the thing it counts, and Prometheus sums over processes.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'evently_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly bookingsAccepted = this.counter('evently_bookings_accepted_total', 'Bookings accepted (201) by the api');
  readonly bookingsCancelled = this.counter('evently_bookings_cancelled_total', 'Bookings cancelled');
  readonly bookingsConfirmed = this.counter('evently_bookings_confirmed_total', 'Bookings confirmed by a worker');
  readonly bookingsFailed = this.counter('evently_bookings_failed_total', 'Bookings failed by a worker (sold out…)');

  readonly settleBatchSize = new Histogram({
    name: 'evently_settle_batch_size',
    help: 'Bookings decided by one settling transaction',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });

  readonly jobsCompleted = this.counter('evently_jobs_completed_total', 'Jobs completed, per queue', ['queue']);
  readonly jobsFailed = this.counter('evently_jobs_failed_total', 'Job attempts failed, per queue', ['queue']);
  readonly jobDuration = new Histogram({
    name: 'evently_job_duration_seconds',
    help: 'Time a worker spent on a job attempt, per queue',
    labelNames: ['queue'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One settling transaction's outcome: the counters and the batch size. */
  recordSettlement(result: { confirmed: number; failed: number; cancelled: number }): void {
    this.bookingsConfirmed.inc(result.confirmed);
    this.bookingsFailed.inc(result.failed);
    this.settleBatchSize.observe(result.confirmed + result.failed + result.cancelled);
  }

  /** The registry in Prometheus' text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
