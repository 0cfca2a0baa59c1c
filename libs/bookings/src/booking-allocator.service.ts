import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CacheInvalidation } from '@evently/cache';
import { AppConfig } from '@evently/config';
import { Metrics } from '@evently/metrics';
import { mailJobs, OutboxEntry, OutboxRelay } from '@evently/queue';

import { AllocationDecision, allocateSeats, PendingBooking } from './seat-allocation';

/**
 * The event columns a decision reads; `started` on the database's clock, as the api's intake judges it, when the
 * statement runs: `now()` is the transaction's start, which may come seconds before a wait for the event's lock ended.
 */
const EVENT_COLUMNS =
  'id, capacity, booked_tickets, is_active, deleted_at < time AS deleted_before_start, time <= statement_timestamp() AS started';

/** How many pending bookings one transaction settles. */
export const SETTLE_BATCH_SIZE = 1000;
/**
 * How many events one transaction locks at most: a settle job's events can be any number (those noted while a slow
 * Redis held the previous signal), and a transaction holding thousands of event rows would hold up every other
 * writer of any of them, past their lock timeouts.
 */
export const EVENTS_PER_SETTLEMENT = 100;

interface EventRow {
  id: string;
  capacity: number;
  booked_tickets: number;
  is_active: boolean;
  /** Null while not deleted. A deletion cancels the event only if it came before the start (EventsService.remove). */
  deleted_before_start: boolean | null;
  started: boolean;
}

interface EventBooking extends PendingBooking {
  eventId: string;
}

export interface SettleResult {
  confirmed: number;
  failed: number;
  /** Bookings of an event deleted after they were accepted: cancelled as the deletion cancelled its others. */
  cancelled: number;
}

/** How many bookings a settlement decided; a full batch means more may be waiting. */
export function decidedCount(result: SettleResult): number {
  return result.confirmed + result.failed + result.cancelled;
}

interface Settlement {
  result: SettleResult;
  outboxed: OutboxEntry[];
  /** The events whose bookings were decided. */
  eventIds: string[];
}

/**
 * Decides pending bookings. Each event row is locked for the whole decision, so every worker process
 * serialises on it and inventory is exact. The lock is `FOR NO KEY UPDATE`, not `FOR UPDATE`: the api's
 * booking inserts take `FOR KEY SHARE` on the event (their foreign key check), which only `FOR UPDATE`
 * would block, so a settling batch never stalls the accepts. One transaction settles a batch of pending
 * bookings of one event or of many (locked in id order, as every writer that locks several events does):
 * that is what lets a hot event settle thousands of bookings a second, and a sale spread over many events
 * settle without a transaction per event.
 */
@Injectable()
export class BookingAllocator {
  private readonly logger = new Logger(BookingAllocator.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxRelay,
    private readonly invalidation: CacheInvalidation,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Settles every pending booking of the events, a batch per transaction, oldest first, a hundred events at a time. */
  async settlePending(eventIds: string[]): Promise<void> {
    if (this.config.unsafeUnguardedAllocation) {
      await Promise.all(eventIds.map((eventId) => this.settleUnguarded(eventId)));
      return;
    }
    for (let start = 0; start < eventIds.length; start += EVENTS_PER_SETTLEMENT) {
      const group = eventIds.slice(start, start + EVENTS_PER_SETTLEMENT);
      let result: SettleResult;
      do result = await this.settleEvents(group);
      while (decidedCount(result) === SETTLE_BATCH_SIZE);
    }
  }

  /**
   * Settles up to one batch of the events' pending bookings, oldest first. With `skipLocked` (the sweeper), events
   * another transaction holds are left out rather than waited for: a settlement in progress decides their bookings, a
   * long deletion would have failed the whole group at the lock timeout on every tick, and sweeps in several workers
   * would have queued behind each other on the same rows.
   */
  settleEvents(eventIds: string[], { skipLocked = false } = {}): Promise<SettleResult> {
    return this.settle((manager) => this.decide(manager, eventIds, skipLocked));
  }

  private async settle(decide: (manager: EntityManager) => Promise<Settlement>): Promise<SettleResult> {
    const { result, outboxed, eventIds, owed } = await this.dataSource.transaction(
      'READ COMMITTED',
      async (manager) => {
        const settlement = await decide(manager);
        const decided = decidedCount(settlement.result) > 0;
        return { ...settlement, owed: decided ? await this.invalidation.owe(manager, settlement.eventIds) : undefined };
      },
    );
    if (owed) {
      this.metrics.recordSettlement(result);
      await this.invalidation.pay(owed);
      await this.outbox.publish(outboxed);
      this.logger.log({ settledEventIds: eventIds, ...result }, 'settled bookings');
    }
    return result;
  }

  private async decide(manager: EntityManager, eventIds: string[], skipLocked: boolean): Promise<Settlement> {
    await manager.query(`SET LOCAL lock_timeout = '10s'`);
    const locked: { id: string }[] = await manager.query(
      `SELECT id FROM events WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
      [eventIds],
    );
    const lockedIds = locked.map((event) => event.id);
    // Read once the locks are held: a locking SELECT computes its columns before it waits.
    const events = (await manager.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1::uuid[])`, [
      lockedIds,
    ])) as EventRow[];
    const pending = await this.pendingBookings(manager, lockedIds);
    return this.apply(manager, events, pending);
  }

  /** The control's per-booking decisions, all at once, each in its own transaction. */
  private async settleUnguarded(eventId: string): Promise<void> {
    const pending: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM bookings WHERE event_id = $1 AND status IN ('pending', 'processing')`,
      [eventId],
    );
    await Promise.all(pending.map(({ id }) => this.settle((manager) => this.decideUnguarded(manager, eventId, id))));
  }

  /**
   * The naive design the real path replaces: each booking is checked against the counter with no lock,
   * pausing between the read and the write. Reachable only with UNSAFE_UNGUARDED_ALLOCATION,
   * which configuration refuses outside DEBUG; the storm test's control uses it to prove it catches oversell.
   */
  private async decideUnguarded(manager: EntityManager, eventId: string, bookingId: string) {
    const events = (await manager.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [eventId])) as EventRow[];
    const rows: { id: string; ticket_count: number }[] = await manager.query(
      `SELECT id, ticket_count FROM bookings WHERE id = $1 AND status IN ('pending', 'processing')`,
      [bookingId],
    );
    const pending = rows.map((row) => ({ id: row.id, eventId, ticketCount: row.ticket_count }));
    await sleep(50);
    return this.apply(manager, events, pending, 'absolute');
  }

  /**
   * The oldest pending bookings of the events, a prefix of each event's queue, so each stays first come, first
   * served. Each event's candidates come from its own index range, so an event with a long backlog costs one
   * batch's worth of rows, not its whole backlog; the chosen ids are then locked through the primary key.
   */
  private async pendingBookings(manager: EntityManager, eventIds: string[]): Promise<EventBooking[]> {
    const rows: { id: string; event_id: string; ticket_count: number }[] = await manager.query(
      `SELECT id, event_id, ticket_count FROM bookings
        WHERE status IN ('pending', 'processing') AND id = ANY(ARRAY(
          SELECT oldest.id FROM unnest($1::uuid[]) AS listed(event_id)
           CROSS JOIN LATERAL (
             SELECT id, booking_date FROM bookings
              WHERE event_id = listed.event_id AND status IN ('pending', 'processing')
              ORDER BY booking_date, id LIMIT $2
           ) AS oldest
           ORDER BY oldest.booking_date, oldest.id LIMIT $2))
        ORDER BY booking_date, id FOR UPDATE`,
      [eventIds, SETTLE_BATCH_SIZE],
    );
    return rows.map((row) => ({ id: row.id, eventId: row.event_id, ticketCount: row.ticket_count }));
  }

  private async apply(
    manager: EntityManager,
    events: EventRow[],
    pending: EventBooking[],
    counterUpdate: 'increment' | 'absolute' = 'increment',
  ): Promise<Settlement> {
    if (pending.length === 0) {
      return { result: { confirmed: 0, failed: 0, cancelled: 0 }, outboxed: [], eventIds: [] };
    }
    // An event deleted after it started kept its bookings (it took place); its late ones fail as any started event's.
    const deletedEventIds = new Set(events.filter((event) => event.deleted_before_start).map((event) => event.id));
    const decisions = decideEach(
      events,
      pending.filter((booking) => !deletedEventIds.has(booking.eventId)),
    );
    const confirmed = decisions.flatMap(({ decision }) => decision.confirmed);
    const outcomes = [
      ...confirmed.map((booking) => ({ id: booking.id, status: 'confirmed', reason: null })),
      ...decisions.flatMap(({ decision }) =>
        decision.failed.map(({ booking, reason }) => ({ id: booking.id, status: 'failed', reason })),
      ),
    ];
    await this.record(manager, outcomes);
    await this.takeSeats(manager, decisions, counterUpdate);
    const holders = await this.cancelOfDeletedEvents(
      manager,
      pending.filter((booking) => deletedEventIds.has(booking.eventId)),
    );
    const outboxed = await this.outbox.write(manager, [
      ...confirmed.map((booking) => mailJobs.bookingConfirmed(booking.id)),
      ...holders.map(({ eventId, userId }) => mailJobs.eventCancelled(eventId, userId)),
    ]);
    const result = {
      confirmed: confirmed.length,
      failed: outcomes.length - confirmed.length,
      cancelled: pending.length - outcomes.length,
    };
    return { result, outboxed, eventIds: [...decisions.map(({ eventId }) => eventId), ...deletedEventIds] };
  }

  private async record(manager: EntityManager, outcomes: { id: string; status: string; reason: string | null }[]) {
    if (outcomes.length === 0) return;
    await manager.query(
      `UPDATE bookings AS b
          SET status = o.status,
              failure_reason = o.reason,
              confirmed_at = CASE WHEN o.status = 'confirmed' THEN statement_timestamp() END,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS o(id, status, reason)
        WHERE b.id = o.id`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.reason)],
    );
  }

  /**
   * A booking accepted from a snapshot taken before its event's deletion committed is inserted after the deletion
   * cancelled the event's others, so the deletion could not see it. It ends as theirs did: cancelled, its holder
   * told once (the job id is per event and holder). Returns each holder it cancelled for, once.
   */
  private async cancelOfDeletedEvents(
    manager: EntityManager,
    bookings: EventBooking[],
  ): Promise<{ eventId: string; userId: number }[]> {
    if (bookings.length === 0) return [];
    const holders: { event_id: string; user_id: number }[] = await manager.query(
      `WITH cancelled AS (
         UPDATE bookings SET status = 'cancelled', cancelled_at = now(), updated_at = now()
          WHERE id = ANY($1::uuid[])
         RETURNING event_id, user_id
       )
       SELECT DISTINCT event_id, user_id FROM cancelled ORDER BY event_id, user_id`,
      [bookings.map((booking) => booking.id)],
    );
    return holders.map((holder) => ({ eventId: holder.event_id, userId: holder.user_id }));
  }

  /** Adds each event's seats taken to its counter; the control writes the value it read plus its seats instead. */
  private async takeSeats(
    manager: EntityManager,
    decisions: EventDecision[],
    counterUpdate: 'increment' | 'absolute',
  ): Promise<void> {
    const taking = decisions.flatMap(({ event, decision }) =>
      event && decision.seatsTaken > 0 ? [{ event, seats: decision.seatsTaken }] : [],
    );
    if (taking.length === 0) return;
    const counter = counterUpdate === 'increment' ? 'e.booked_tickets + s.seats' : 's.seats';
    await manager.query(
      `UPDATE events AS e SET booked_tickets = ${counter}, updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS s(id, seats)
        WHERE e.id = s.id`,
      [
        taking.map(({ event }) => event.id),
        taking.map(({ event, seats }) => (counterUpdate === 'increment' ? seats : event.booked_tickets + seats)),
      ],
    );
  }
}

interface EventDecision {
  eventId: string;
  event: EventRow | undefined;
  decision: AllocationDecision;
}

/** First come, first served within each event, over the seats it had left when locked. */
function decideEach(events: EventRow[], pending: EventBooking[]): EventDecision[] {
  const byEvent = new Map<string, EventBooking[]>();
  for (const booking of pending) {
    const queue = byEvent.get(booking.eventId) ?? [];
    queue.push(booking);
    byEvent.set(booking.eventId, queue);
  }
  const rows = new Map(events.map((event) => [event.id, event]));
  return [...byEvent].map(([eventId, bookings]) => {
    const event = rows.get(eventId);
    const seatsLeft = event ? event.capacity - event.booked_tickets : 0;
    return {
      eventId,
      event,
      decision: allocateSeats(bookings, seatsLeft, event ? closedReason(event) : 'event not found'),
    };
  });
}

function closedReason(event: EventRow): string | null {
  if (!event.is_active) return 'event is not active';
  if (event.started) return 'event has already started';
  return null;
}
