import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { ResponseCache } from '@evently/cache';
import { AppConfig } from '@evently/config';
import { Metrics } from '@evently/metrics';
import { jobIds, MAIL_JOBS, OutboxRelay } from '@evently/queue';

import { allocateSeats, PendingBooking } from './seat-allocation';

/** How many pending bookings of one event one transaction settles. */
export const SETTLE_BATCH_SIZE = 1000;

interface EventRow {
  capacity: number;
  booked_tickets: number;
  is_active: boolean;
  deleted_at: Date | null;
  time: Date;
}

export interface SettleResult {
  confirmed: number;
  failed: number;
}

/**
 * Decides pending bookings. The event row is locked for the whole decision, so every worker process
 * serialises on it and inventory is exact. The lock is `FOR NO KEY UPDATE`, not `FOR UPDATE`: the api's
 * booking inserts take `FOR KEY SHARE` on the event (their foreign key check), which only `FOR UPDATE`
 * would block, so a settling batch never stalls the accepts; one transaction settles a whole batch of the
 * event's pending bookings, which is what lets a hot event settle thousands of bookings a second.
 */
@Injectable()
export class BookingAllocator {
  private readonly logger = new Logger(BookingAllocator.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxRelay,
    private readonly cache: ResponseCache,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Settles every pending booking of the event, a batch per transaction, oldest first. */
  async settlePending(eventId: string): Promise<void> {
    if (this.config.unsafeUnguardedAllocation) return this.settleUnguarded(eventId);
    let result: SettleResult;
    do result = await this.settleEvent(eventId);
    while (result.confirmed + result.failed === SETTLE_BATCH_SIZE);
  }

  /** Settles up to one batch of the event's pending bookings, oldest first. */
  settleEvent(eventId: string): Promise<SettleResult> {
    return this.settle(eventId, (manager) => this.decide(manager, eventId));
  }

  private async settle(
    eventId: string,
    decide: (manager: EntityManager) => Promise<{ result: SettleResult; outboxIds: string[] }>,
  ): Promise<SettleResult> {
    const { result, outboxIds } = await this.dataSource.transaction('READ COMMITTED', decide);
    if (result.confirmed + result.failed > 0) {
      this.metrics.recordSettlement(result);
      await this.cache.invalidateEvents([eventId]);
      await this.outbox.publish(outboxIds);
      this.logger.log({ eventId, ...result }, 'settled bookings');
    }
    return result;
  }

  private async decide(manager: EntityManager, eventId: string) {
    await manager.query(`SET LOCAL lock_timeout = '10s'`);
    const [event] = (await manager.query(
      `SELECT capacity, booked_tickets, is_active, deleted_at, time FROM events WHERE id = $1 FOR NO KEY UPDATE`,
      [eventId],
    )) as EventRow[];
    const pending = await this.pendingBookings(manager, eventId);
    return this.apply(manager, eventId, event, pending);
  }

  /** The control's per-booking decisions, all at once, each in its own transaction. */
  private async settleUnguarded(eventId: string): Promise<void> {
    const pending: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM bookings WHERE event_id = $1 AND status IN ('pending', 'processing')`,
      [eventId],
    );
    await Promise.all(
      pending.map(({ id }) => this.settle(eventId, (manager) => this.decideUnguarded(manager, eventId, id))),
    );
  }

  /**
   * The naive design the real path replaces: each booking is checked against the counter with no lock,
   * pausing between the read and the write. Reachable only with UNSAFE_UNGUARDED_ALLOCATION,
   * which configuration refuses outside DEBUG; the storm test's control uses it to prove it catches oversell.
   */
  private async decideUnguarded(manager: EntityManager, eventId: string, bookingId: string) {
    const [event] = (await manager.query(
      `SELECT capacity, booked_tickets, is_active, deleted_at, time FROM events WHERE id = $1`,
      [eventId],
    )) as EventRow[];
    const rows: { id: string; ticket_count: number }[] = await manager.query(
      `SELECT id, ticket_count FROM bookings WHERE id = $1 AND status IN ('pending', 'processing')`,
      [bookingId],
    );
    const pending = rows.map((row) => ({ id: row.id, ticketCount: row.ticket_count }));
    await sleep(50);
    return this.apply(manager, eventId, event, pending, 'absolute');
  }

  private async pendingBookings(manager: EntityManager, eventId: string): Promise<PendingBooking[]> {
    const rows: { id: string; ticket_count: number }[] = await manager.query(
      `SELECT id, ticket_count FROM bookings
        WHERE event_id = $1 AND status IN ('pending', 'processing')
        ORDER BY booking_date, id LIMIT $2 FOR UPDATE`,
      [eventId, SETTLE_BATCH_SIZE],
    );
    return rows.map((row) => ({ id: row.id, ticketCount: row.ticket_count }));
  }

  private async apply(
    manager: EntityManager,
    eventId: string,
    event: EventRow | undefined,
    pending: PendingBooking[],
    counterUpdate: 'increment' | 'absolute' = 'increment',
  ): Promise<{ result: SettleResult; outboxIds: string[] }> {
    if (pending.length === 0) return { result: { confirmed: 0, failed: 0 }, outboxIds: [] };
    const seatsLeft = event ? event.capacity - event.booked_tickets : 0;
    const decision = allocateSeats(pending, seatsLeft, event ? closedReason(event) : 'event not found');
    const outcomes = [
      ...decision.confirmed.map((booking) => ({ id: booking.id, status: 'confirmed', reason: null })),
      ...decision.failed.map(({ booking, reason }) => ({ id: booking.id, status: 'failed', reason })),
    ];
    await manager.query(
      `UPDATE bookings AS b
          SET status = o.status,
              failure_reason = o.reason,
              confirmed_at = CASE WHEN o.status = 'confirmed' THEN now() END,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS o(id, status, reason)
        WHERE b.id = o.id`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.reason)],
    );
    if (decision.seatsTaken > 0 && event) {
      const counter = counterUpdate === 'increment' ? 'booked_tickets + $2' : `${event.booked_tickets} + $2::int`;
      await manager.query(`UPDATE events SET booked_tickets = ${counter}, updated_at = now() WHERE id = $1`, [
        eventId,
        decision.seatsTaken,
      ]);
    }
    const outboxIds = await this.outbox.write(
      manager,
      decision.confirmed.map((booking) => ({
        name: MAIL_JOBS.bookingConfirmed,
        jobId: jobIds.bookingConfirmed(booking.id),
        payload: { bookingId: booking.id },
      })),
    );
    return { result: { confirmed: decision.confirmed.length, failed: decision.failed.length }, outboxIds };
  }
}

function closedReason(event: EventRow): string | null {
  if (event.deleted_at) return 'event deleted';
  if (!event.is_active) return 'event is not active';
  if (event.time.getTime() <= Date.now()) return 'event has already started';
  return null;
}
