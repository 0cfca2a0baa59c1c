import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import {
  BookingAllocator,
  decidedCount,
  EVENTS_PER_SETTLEMENT,
  SETTLE_BATCH_SIZE,
  SettleResult,
} from '@evently/bookings';
import { PeriodicTask } from '@evently/common';

const SWEEP_INTERVAL_MS = 5000;
/** A booking unsettled for this long has lost its job (crash, Redis restart): settle it here. */
export const STUCK_AFTER_SECONDS = 10;

/**
 * The safety net under the queue: settles bookings whose job was lost. Needs only PostgreSQL, so it works while
 * Redis is down. Every worker runs it; the allocator's row lock makes concurrent sweeps harmless.
 */
@Injectable()
export class BookingSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BookingSweeper.name);
  private readonly sweeps = new PeriodicTask(
    (stopping) => this.sweep(stopping),
    SWEEP_INTERVAL_MS,
    (error) => this.logger.warn(`sweep failed: ${error.message}`),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly allocator: BookingAllocator,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeps.stop();
  }

  /** With `stopping`, a worker shutting down ends the sweep after the batch in hand; the next worker's tick goes on. */
  async sweep(stopping?: AbortSignal): Promise<void> {
    const stuck: { event_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT event_id FROM bookings
        WHERE status IN ('pending', 'processing') AND booking_date < now() - make_interval(secs => $1)`,
      [STUCK_AFTER_SECONDS],
    );
    const eventIds = stuck.map(({ event_id: eventId }) => eventId);
    for (let start = 0; start < eventIds.length && !stopping?.aborted; start += EVENTS_PER_SETTLEMENT) {
      await this.sweepEvents(eventIds.slice(start, start + EVENTS_PER_SETTLEMENT), stopping);
    }
  }

  /** One group of events, batch after batch; a failure (a lock timeout) costs this group's turn, not the sweep's. */
  private async sweepEvents(eventIds: string[], stopping?: AbortSignal): Promise<void> {
    let result: SettleResult;
    try {
      do {
        result = await this.allocator.settleEvents(eventIds, { skipLocked: true });
        if (decidedCount(result) > 0) this.logger.warn({ eventIds, ...result }, 'swept stuck bookings');
      } while (decidedCount(result) === SETTLE_BATCH_SIZE && !stopping?.aborted);
    } catch (error) {
      this.logger.warn({ eventIds, err: (error as Error).message }, 'sweep of these events failed; next tick retries');
    }
  }
}
