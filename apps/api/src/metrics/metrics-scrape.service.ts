import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

import { withTimeout } from '@evently/cache';
import { Metrics } from '@evently/metrics';
import { OutboxRelay } from '@evently/queue';

import { QUEUE_STATES, QueueStatsService } from '../health/queue-stats.service';

const DATABASE_BUDGET_MS = 1500;

/**
 * The gauges that describe shared state rather than this process: queue depth and age from BullMQ, outbox lag
 * and unsettled bookings from PostgreSQL. Computed at scrape time with cheap indexed queries; a source that
 * does not answer is reported by `evently_metrics_source_up` instead of failing the scrape.
 */
@Injectable()
export class MetricsScrapeService {
  private readonly sourceUp: Gauge;
  private readonly queueJobs: Gauge;
  private readonly queueOldest: Gauge;
  private readonly outboxPending: Gauge;
  private readonly outboxOldest: Gauge;
  private readonly unsettled: Gauge;
  private readonly unsettledOldest: Gauge;

  constructor(
    private readonly metrics: Metrics,
    private readonly queueStats: QueueStatsService,
    private readonly outbox: OutboxRelay,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name, help, labelNames, registers: [metrics.registry] });
    this.sourceUp = gauge('evently_metrics_source_up', 'Whether a scrape-time source answered', ['source']);
    this.queueJobs = gauge('evently_queue_jobs', 'Jobs per queue and state', ['queue', 'state']);
    this.queueOldest = gauge(
      'evently_queue_oldest_waiting_seconds',
      'Age of the oldest job waiting for a worker, per queue',
      ['queue'],
    );
    this.outboxPending = gauge('evently_outbox_unpublished', 'Outbox rows not yet handed to BullMQ');
    this.outboxOldest = gauge('evently_outbox_oldest_unpublished_seconds', 'Age of the oldest unpublished outbox row');
    this.unsettled = gauge('evently_bookings_processing', 'Bookings still pending or processing');
    this.unsettledOldest = gauge(
      'evently_bookings_processing_oldest_seconds',
      'Age of the oldest booking still pending or processing',
    );
  }

  /** Refreshes the shared-state gauges, then renders the whole registry. */
  async render(): Promise<string> {
    await Promise.all([this.refreshQueues(), this.refreshDatabase()]);
    return this.metrics.render();
  }

  private async refreshQueues(): Promise<void> {
    const queues = await this.queueStats.collect();
    this.queueJobs.reset();
    this.queueOldest.reset();
    for (const [queue, stats] of Object.entries(queues)) {
      for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, stats[state]);
      this.queueOldest.set({ queue }, stats.oldestWaitingSeconds);
    }
    this.sourceUp.set({ source: 'redis' }, Object.keys(queues).length > 0 ? 1 : 0);
  }

  private async refreshDatabase(): Promise<void> {
    try {
      const [lag, [bookings]] = await withTimeout(
        Promise.all([
          this.outbox.lag(),
          this.dataSource.query(
            `SELECT count(*)::int AS count, coalesce(extract(epoch FROM now() - min(booking_date)), 0)::float AS oldest
               FROM bookings WHERE status IN ('pending', 'processing')`,
          ),
        ]),
        DATABASE_BUDGET_MS,
      );
      this.outboxPending.set(lag.pending);
      this.outboxOldest.set(lag.oldestSeconds);
      this.unsettled.set(bookings.count);
      this.unsettledOldest.set(bookings.oldest);
      this.sourceUp.set({ source: 'database' }, 1);
    } catch {
      this.sourceUp.set({ source: 'database' }, 0);
    }
  }
}
