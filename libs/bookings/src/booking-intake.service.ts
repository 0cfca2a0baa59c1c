import { randomUUID } from 'node:crypto';

import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { Batcher, BatchOutcome, ConflictError, NotFoundError } from '@evently/common';
import {
  Booking,
  PG_DEADLOCK_DETECTED,
  PG_FOREIGN_KEY_VIOLATION,
  PG_LOCK_NOT_AVAILABLE,
  postgresErrorCode,
} from '@evently/database';
import { bookingTaskId, JobProducer } from '@evently/queue';

import { asNotFound } from './foreign-key-refusal';
import { MailRushPause } from './mail-rush-pause.service';

export interface BookingRequest {
  userId: number;
  eventId: string;
  ticketCount: number;
}

/** Bookings inserted by one statement, hence one commit (one WAL flush) for all of them. */
const MAX_BATCH = 250;
/** Statements in flight per process; requests that arrive meanwhile wait and form the next batch. */
const CONCURRENT_BATCHES = 4;
/** Beyond this many waiting bookings the database is stalled: refuse (503) rather than queue without bound. */
const MAX_WAITING = 2_000;
/** Failures of a batch statement that one request's circumstances can cause: each request is then tried alone. */
const RETRIED_ALONE = [PG_FOREIGN_KEY_VIOLATION, PG_DEADLOCK_DETECTED];

interface CheckedRow {
  id: string;
  event_id: string | null;
  name: string;
  available: number;
  is_active: boolean;
  deleted: boolean;
  started: boolean;
  user_id: number | null;
  username: string;
  total_amount: string | null;
  booking_date: Date | null;
}

/**
 * Accepts bookings by group commit: requests that arrive while earlier statements run are inserted together,
 * so a storm costs PostgreSQL one commit per batch instead of one per booking, and the worker one settle
 * signal per event per batch. At low load a batch is one request and nothing waits. Each request still gets
 * its own outcome.
 */
@Injectable()
export class BookingIntake implements OnModuleDestroy {
  private readonly logger = new Logger(BookingIntake.name);
  private readonly unsignalled = new Set<string>();
  private signalling?: Promise<void>;
  /** Signals refused since the last that went out: while Redis is away every batch's would be, so one line says so. */
  private deferredSignals = 0;
  private readonly batcher = new Batcher<BookingRequest, Booking>((requests) => this.run(requests), {
    maxBatch: MAX_BATCH,
    concurrency: CONCURRENT_BATCHES,
    maxWaiting: MAX_WAITING,
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
    private readonly mailRushPause: MailRushPause,
  ) {}

  /** Inserts the booking as `processing` (with whatever else is waiting) and signals its event's settlement. */
  accept(request: BookingRequest): Promise<Booking> {
    return this.batcher.call(request);
  }

  /** One booking inside the caller's transaction (the idempotency path); throws when it is refused. */
  async insertOne(manager: EntityManager, request: BookingRequest): Promise<Booking> {
    const [outcome] = await this.insert(manager, [request]).catch((error: unknown) => {
      throw asNotFound(error);
    });
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /**
   * Asks a worker to settle the events, without waiting: the bookings are committed, and a lost signal only leaves
   * them to the sweeper (10–15 s). One signal is in flight per process; events noted meanwhile go together in the
   * next, so a slow Redis holds neither the answers nor a growing pile of commands. During a sale Redis also takes
   * the settlements' mail jobs, and every 201 used to wait behind them.
   */
  signalSoon(eventIds: Iterable<string>): void {
    for (const eventId of eventIds) this.unsignalled.add(eventId);
    if (this.unsignalled.size > 0 && !this.signalling) this.signalling = this.sendSignals();
  }

  /** The api stops answering before its modules are destroyed: the last signals go out before Redis closes. */
  async onModuleDestroy(): Promise<void> {
    await this.signalling;
  }

  private async sendSignals(): Promise<void> {
    while (this.unsignalled.size > 0) {
      const eventIds = [...this.unsignalled];
      this.unsignalled.clear();
      try {
        await this.producer.signalSettle(eventIds);
        if (this.deferredSignals > 0) {
          this.logger.log({ deferred: this.deferredSignals }, 'settle signals go out again');
          this.deferredSignals = 0;
        }
      } catch (error) {
        if (this.deferredSignals++ > 0) continue;
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn({ eventIds, err: reason }, 'settle signal deferred to the sweeper');
      }
    }
    this.signalling = undefined;
  }

  private async run(requests: BookingRequest[]): Promise<BatchOutcome<Booking>[]> {
    // Bookers, not requests: one client's burst (of unknown events, say) is no rush, and must not hold everyone's mail.
    this.mailRushPause.noteBatch(new Set(requests.map((request) => request.userId)).size);
    const outcomes = await this.insertBatch(requests);
    this.signalSoon(outcomes.flatMap((outcome) => (outcome instanceof Error ? [] : [outcome.eventId])));
    return outcomes;
  }

  /**
   * A statement refused for one request's sake is retried per request, so only that one fails: its event or booker
   * deleted mid-batch, or a deadlock with bulk delete (which locks users in id order while the batch's foreign keys
   * lock them in arrival order). A lock timeout on bookers' rows (a long bulk delete holds them; no writer locks an
   * event row against the batch's foreign-key check) fails only those bookers' requests. Any other failure (database
   * down, a statement timeout) is every request's answer: retrying each alone would multiply the load on a database
   * already in trouble.
   */
  private async insertBatch(requests: BookingRequest[]): Promise<BatchOutcome<Booking>[]> {
    try {
      return await this.insert(this.dataSource.manager, requests);
    } catch (error) {
      if (requests.length === 1) return [asNotFound(error) as Error];
      const code = postgresErrorCode(error) ?? '';
      if (code === PG_LOCK_NOT_AVAILABLE) return this.insertAroundLockedBookers(requests, error as Error);
      if (!RETRIED_ALONE.includes(code)) return requests.map(() => error as Error);
      return Promise.all(requests.map((request) => this.insertOne(this.dataSource.manager, request).catch((e) => e)));
    }
  }

  /**
   * The requests whose bookers are locked now keep the lock timeout as their answer (503); the others, a booker who
   * does not exist among them (their 404), go again as one batch. Retried alone, each locked booker's request would
   * hold a connection for another lock timeout, and a bulk delete of many bookers could take the whole pool. Nothing
   * locked any more (the holder finished): all fail, once.
   */
  private async insertAroundLockedBookers(
    requests: BookingRequest[],
    timeout: Error,
  ): Promise<BatchOutcome<Booking>[]> {
    const locked: { id: number }[] = await this.dataSource.query(
      `SELECT id FROM users WHERE id = ANY($1::int[])
          AND id NOT IN (SELECT id FROM users WHERE id = ANY($1::int[]) FOR KEY SHARE SKIP LOCKED)`,
      [requests.map((request) => request.userId)],
    );
    const lockedIds = new Set(locked.map((user) => user.id));
    const proceeding = requests.filter((request) => !lockedIds.has(request.userId));
    if (proceeding.length === requests.length) return requests.map(() => timeout);
    const outcomes = proceeding.length > 0 ? await this.insertBatch(proceeding) : [];
    return requests.map((request) => (lockedIds.has(request.userId) ? timeout : outcomes.shift()!));
  }

  /**
   * Checks each request's event and booker and inserts those that may proceed, in one statement (atomic on its
   * own, so it needs no transaction). The counter read here is advisory: the worker decides under the event's
   * row lock. Rows come back in request order and say why a request was refused. They are inserted in arrival
   * order, which `booking_date` (the clock at each row's insert) keeps for the worker's first come, first served.
   */
  private async insert(manager: EntityManager, requests: BookingRequest[]): Promise<(Booking | Error)[]> {
    const ids = requests.map(() => randomUUID());
    const rows: CheckedRow[] = await manager.query(
      `WITH requested AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::text[])
           WITH ORDINALITY AS r (id, event_id, user_id, ticket_count, task_id, position)
       ), checked AS (
         SELECT r.id, r.position, r.ticket_count, r.task_id, e.id AS event_id, e.name,
                e.capacity - e.booked_tickets AS available, e.price_per_ticket, e.is_active,
                e.deleted_at IS NOT NULL AS deleted, e.time <= now() AS started, u.id AS user_id, u.username
           FROM requested r LEFT JOIN events e ON e.id = r.event_id LEFT JOIN users u ON u.id = r.user_id
       ), inserted AS (
         INSERT INTO bookings (id, event_id, user_id, ticket_count, total_amount, status, task_id)
         SELECT id, event_id, user_id, ticket_count, price_per_ticket * ticket_count, 'processing', task_id
           FROM checked
          WHERE event_id IS NOT NULL AND user_id IS NOT NULL
            AND NOT deleted AND is_active AND NOT started AND available >= ticket_count
          ORDER BY position
         RETURNING id, total_amount, booking_date
       )
       SELECT checked.id, checked.event_id, checked.name, checked.available, checked.is_active, checked.deleted,
              checked.started, checked.user_id, checked.username, inserted.total_amount, inserted.booking_date
         FROM checked LEFT JOIN inserted ON inserted.id = checked.id
        ORDER BY checked.position`,
      [
        ids,
        requests.map((request) => request.eventId),
        requests.map((request) => request.userId),
        requests.map((request) => request.ticketCount),
        ids.map(bookingTaskId),
      ],
    );
    return rows.map((row, index) => toOutcome(row, requests[index]));
  }
}

function toOutcome(row: CheckedRow, request: BookingRequest): Booking | Error {
  if (!row.event_id) return new NotFoundError('Event not found.');
  if (row.deleted) return new ConflictError('Event has been deleted.');
  if (!row.is_active) return new ConflictError('Event is not active.');
  if (row.started) return new ConflictError('Event has already started.');
  if (row.available < request.ticketCount) {
    return new ConflictError('Not enough tickets available.', { available_tickets: row.available });
  }
  if (!row.user_id) return new NotFoundError('User not found.');
  return Object.assign(new Booking(), {
    id: row.id,
    eventId: request.eventId,
    userId: request.userId,
    ticketCount: request.ticketCount,
    totalAmount: row.total_amount,
    status: 'processing',
    failureReason: null,
    taskId: bookingTaskId(row.id),
    bookingDate: row.booking_date,
    event: { id: row.event_id, name: row.name },
    user: { id: row.user_id, username: row.username },
  } as Partial<Booking>);
}
