import { createHash } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CacheInvalidation } from '@evently/cache';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  pageOffset,
  PageRequest,
  UnprocessableError,
} from '@evently/common';
import { Booking, UNSETTLED_STATUSES, User } from '@evently/database';
import { Metrics } from '@evently/metrics';
import { mailJobs, OutboxRelay } from '@evently/queue';

import { BookingIntake, BookingRequest } from './booking-intake.service';
import { asNotFound } from './foreign-key-refusal';

export const MAX_TICKETS_PER_BOOKING = 10;
/** Stripe's limit too. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface StoredResponse<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/** A refusal of the intake's (unknown event or booker: 404; an event that cannot be booked: 409). */
export type BookingRefusal = NotFoundError | ConflictError;

/** How the caller answers a booking request: the body of a booking it accepted, or its rendering of a refusal. */
export interface BookingAnswers<T, R> {
  accepted: (booking: Booking) => T;
  refused: (refusal: BookingRefusal) => { status: number; body: R };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Accepting, reading and cancelling bookings; the worker's {@link BookingAllocator} decides them. */
@Injectable()
export class BookingsService {
  private readonly logger = new Logger(BookingsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly intake: BookingIntake,
    private readonly outbox: OutboxRelay,
    private readonly invalidation: CacheInvalidation,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Records a booking as `processing` and hands it to the worker. The booking row is its own outbox:
   * if the enqueue is lost, the worker's sweeper settles it anyway. With an idempotency key, the first
   * response, a refusal of the intake's included, is stored in the same transaction and replayed for the
   * same key and body.
   */
  async create<T, R>(
    caller: User,
    request: BookingRequest,
    answers: BookingAnswers<T, R>,
    idempotencyKey?: string,
  ): Promise<StoredResponse<T | R>> {
    assertValidIdempotencyKey(idempotencyKey);
    this.assertMayActFor(caller, request.userId);
    if (idempotencyKey) return this.createOnce(caller, request, answers, idempotencyKey);
    const booking = await this.intake.accept(request);
    this.recordAccepted(booking);
    return { status: 201, body: answers.accepted(booking), replayed: false };
  }

  private async findAccessible(caller: User, bookingId: string): Promise<Booking> {
    const booking = UUID.test(bookingId)
      ? await this.dataSource.getRepository(Booking).findOne({
          where: { id: bookingId },
          relations: { event: true, user: true },
        })
      : null;
    if (!booking) throw new NotFoundError('Booking not found.');
    this.assertMayActFor(caller, booking.userId);
    return booking;
  }

  /**
   * A booking as its holder polls it. Before a booking just settled or cancelled is shown final, what its writer still
   * owes the cache is paid, so the client's next read of the event (its availability) counts the seats it holds.
   */
  async poll(caller: User, bookingId: string): Promise<Booking> {
    const booking = await this.findAccessible(caller, bookingId);
    await this.invalidation.payOwedFor(justDecidedEventIds([booking]));
    return booking;
  }

  /** How many bookings a user has (the last page's number). */
  countForUser(caller: User, userId: number): Promise<number> {
    this.assertMayActFor(caller, userId);
    return this.dataSource.getRepository(Booking).countBy({ userId });
  }

  /** A user's bookings, newest first; staff asking for a user who does not exist get a 404. */
  async listForUser(caller: User, userId: number, page: PageRequest): Promise<[Booking[], number]> {
    this.assertMayActFor(caller, userId);
    const [bookings, count] = await this.dataSource.getRepository(Booking).findAndCount({
      where: { userId },
      relations: { event: true },
      order: { bookingDate: 'DESC', id: 'DESC' },
      skip: pageOffset(page),
      take: page.pageSize,
    });
    if (count === 0 && userId !== caller.id) await this.assertUserExists(userId);
    await this.invalidation.payOwedFor(justDecidedEventIds(bookings));
    return [bookings, count];
  }

  /**
   * Cancels a live booking, gives its seats back exactly once (a booking holds seats once confirmed) and tells its
   * holder, whatever the status it had; a second cancel is a 409.
   */
  async cancel(caller: User, bookingIdAsSent: string): Promise<Booking> {
    const booking = await this.findAccessible(caller, bookingIdAsSent);
    const bookingId = booking.id; // as stored, lower case: the mail's job id must not depend on the path's spelling
    const { owed, outboxed } = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, [booking.eventId]);
      const [row] = await manager.query(`SELECT status, ticket_count FROM bookings WHERE id = $1 FOR UPDATE`, [
        bookingId,
      ]);
      if (!row) throw new NotFoundError('Booking not found.');
      if (row.status === 'cancelled' || row.status === 'failed') {
        throw new ConflictError(`Booking is already ${row.status}.`);
      }
      await manager.query(
        `UPDATE bookings SET status = 'cancelled', cancelled_at = now(), updated_at = now() WHERE id = $1`,
        [bookingId],
      );
      const owed = await this.invalidation.owe(manager, [booking.eventId]);
      if (row.status === 'confirmed') {
        await manager.query(
          `UPDATE events SET booked_tickets = booked_tickets - $2, updated_at = now() WHERE id = $1`,
          [booking.eventId, row.ticket_count],
        );
      }
      return {
        owed,
        outboxed: await this.outbox.write(manager, [mailJobs.bookingCancelled(bookingId)]),
      };
    });
    this.metrics.bookingsCancelled.inc();
    this.logger.log({ bookingId, eventId: booking.eventId }, 'booking cancelled');
    await this.invalidation.pay(owed);
    await this.outbox.publish(outboxed);
    return { ...booking, status: 'cancelled' };
  }

  private async assertUserExists(userId: number): Promise<void> {
    const [user] = await this.dataSource.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    if (!user) throw new NotFoundError('User not found.');
  }

  private assertMayActFor(caller: User, userId: number): void {
    if (!mayAccess(caller, userId)) throw new ForbiddenError('You may only act on your own bookings.');
  }

  private recordAccepted(booking: Booking): void {
    this.metrics.bookingsAccepted.inc();
    this.logger.log(
      { bookingId: booking.id, eventId: booking.eventId, tickets: booking.ticketCount },
      'booking accepted',
    );
  }

  /**
   * Following Stripe, the first response is kept once the request reached the intake, its refusals included, so a
   * retry cannot book what the first attempt was refused; what is refused before (400, 401, 403, 429, 503) or
   * fails (the database down) stores nothing and may be retried. The first request throws its refusal like any
   * other; the replays answer the body the caller rendered from it.
   */
  private async createOnce<T, R>(
    caller: User,
    request: BookingRequest,
    answers: BookingAnswers<T, R>,
    idempotencyKey: string,
  ): Promise<StoredResponse<T | R>> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const replay = await this.claimIdempotencyKey<T | R>(manager, caller.id, idempotencyKey, request);
      if (replay) return { replay };
      const inserted = await this.insertOrRefusal(manager, request);
      const { status, body } =
        inserted instanceof Error ? answers.refused(inserted) : { status: 201, body: answers.accepted(inserted) };
      await manager.query(
        `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`,
        [caller.id, idempotencyKey, status, JSON.stringify(body)],
      );
      return { inserted, body };
    });
    if (outcome.replay) return outcome.replay;
    if (outcome.inserted instanceof Error) throw outcome.inserted;
    this.recordAccepted(outcome.inserted);
    this.intake.signalSoon([outcome.inserted.eventId]);
    return { status: 201, body: outcome.body, replayed: false };
  }

  /**
   * The booking, or the refusal to store as the first response. A refusal can come from a failed statement (the
   * event or booker deleted meanwhile), which aborts the transaction: the savepoint keeps it usable for the store.
   */
  private async insertOrRefusal(manager: EntityManager, request: BookingRequest): Promise<Booking | BookingRefusal> {
    await manager.query('SAVEPOINT intake');
    try {
      return await this.intake.insertOne(manager, request);
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof ConflictError)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT intake');
      return error;
    }
  }

  /** Returns the stored response to replay, or null when this request holds the key and should proceed. */
  private async claimIdempotencyKey<T>(
    manager: EntityManager,
    userId: number,
    key: string,
    request: BookingRequest,
  ): Promise<StoredResponse<T> | null> {
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    await manager.query(
      `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at < now() - interval '24 hours'`,
      [userId, key],
    );
    const claimed = await manager
      .query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body)
         VALUES ($1, $2, $3, 0, 'null') ON CONFLICT DO NOTHING RETURNING 1`,
        [userId, key, requestHash],
      )
      .catch((error: unknown) => {
        // The caller was deleted (a bulk delete committing) after its token was checked: its 404.
        throw asNotFound(error);
      });
    if (claimed.length > 0) return null;
    const [stored] = await manager.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
      [userId, key],
    );
    // A concurrent request with the key waited for it above and sees its row; none here means it expired just now.
    if (!stored) throw new ConflictError('This Idempotency-Key expired as the request arrived; retry.');
    if (stored.request_hash !== requestHash) {
      throw new UnprocessableError('Idempotency-Key was already used with a different request body.');
    }
    return { status: stored.response_status, body: stored.response_body as T, replayed: true };
  }
}

function assertValidIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw new BadRequestError('Invalid Idempotency-Key.', `It must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
  }
}

/** A user may act on their own bookings; staff on anyone's. */
function mayAccess(caller: User, userId: number): boolean {
  return caller.id === userId || caller.isStaff || caller.isSuperuser;
}

/**
 * Decided this long ago at most, a booking's writer may still owe its cache bump: writers pay at once, and every
 * process pays what is left within about 3 s, so older bookings are not looked up. The margin is for `updated_at`,
 * which is its transaction's start (a settlement may wait up to 10 s for a lock first), and for clocks that differ.
 */
const JUST_DECIDED_MS = 60_000;

/** Events of the bookings settled or cancelled in the last {@link JUST_DECIDED_MS}. */
function justDecidedEventIds(bookings: Booking[]): string[] {
  const since = Date.now() - JUST_DECIDED_MS;
  return bookings
    .filter((booking) => !UNSETTLED_STATUSES.includes(booking.status) && booking.updatedAt.getTime() >= since)
    .map((booking) => booking.eventId);
}
