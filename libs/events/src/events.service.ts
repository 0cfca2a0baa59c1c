import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { hasRole } from '@evently/auth';
import { CacheInvalidation, OwedBump } from '@evently/cache';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, toIsoUtc } from '@evently/common';
import { User } from '@evently/database';
import { mailJobs, OutboxEntry, OutboxRelay } from '@evently/queue';

import { SqlFilter } from './event-filters';
import { AdminEventDetailsRecord, CreatedEventRecord } from './event-records';
import { EventQueries } from './event-queries.service';

export interface NewEvent {
  name: string;
  venue: string;
  time: Date;
  capacity: number;
  description: string | null;
  /** An exact decimal string, e.g. "150.00". */
  pricePerTicket: string;
  isActive: boolean;
}

export type EventChanges = Partial<NewEvent>;

const COLUMNS: Record<keyof NewEvent, string> = {
  name: 'name',
  venue: 'venue',
  time: 'time',
  capacity: 'capacity',
  description: 'description',
  pricePerTicket: 'price_per_ticket',
  isActive: 'is_active',
};

/** Creating, changing and (softly) deleting events. Each write invalidates the cache before it returns. */
@Injectable()
export class EventsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queries: EventQueries,
    private readonly outbox: OutboxRelay,
    private readonly invalidation: CacheInvalidation,
  ) {}

  /** The caller becomes the organizer. Times in the past are refused: nobody could book them. */
  async create(organizer: User, input: NewEvent): Promise<CreatedEventRecord> {
    assertFuture(input.time);
    const { row, owed } = await this.dataSource.transaction(async (manager) => {
      const [inserted] = await manager.query(
        `INSERT INTO events (name, venue, time, capacity, description, price_per_ticket, organizer_id, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, name, venue, time, capacity`,
        [
          input.name,
          input.venue,
          input.time,
          input.capacity,
          input.description,
          input.pricePerTicket,
          organizer.id,
          input.isActive,
        ],
      );
      return { row: inserted, owed: await this.invalidation.owe(manager, [inserted.id]) };
    });
    await this.invalidation.pay(owed);
    return { eventId: row.id, name: row.name, venue: row.venue, time: toIsoUtc(row.time), capacity: row.capacity };
  }

  /**
   * A partial update by the organizer or a superuser. Lowering the capacity is decided by the UPDATE
   * itself (`booked_tickets <= new capacity`), so a booking settled at the same moment cannot slip past.
   */
  async update(caller: User, eventId: string, changes: EventChanges): Promise<AdminEventDetailsRecord> {
    const id = eventId.toLowerCase();
    const current = await this.assertMayManage(caller, id);
    // A client that sends the whole object back (DRF's browsable API, generated clients) resends an event's own
    // time, in the past once the event has started: only a new time must lie in the future.
    const unchangedTime = changes.time && sameSecond(changes.time, current.time);
    if (changes.time && !unchangedTime) assertFuture(changes.time);
    const owed = await this.applyChanges(id, unchangedTime ? { ...changes, time: undefined } : changes);
    if (owed) await this.invalidation.pay(owed);
    return this.queries.findAdminDetails(id);
  }

  /**
   * Soft delete in one transaction: the event row is locked first (as every seat-changing write does), its
   * live bookings are cancelled with their seats returned, and each holder of a live booking (pending, processing or
   * confirmed) gets one cancellation email through the outbox. An event that has already started is only removed
   * from view: it took place, so its bookings stay as they are and nobody is told it was cancelled. The rows stay for
   * analytics. Returns the event's id.
   */
  async remove(caller: User, eventId: string): Promise<string> {
    const id = eventId.toLowerCase();
    const { owed, outboxed } = await this.dataSource.transaction(async (manager) => {
      const [event] = await manager.query(
        `SELECT organizer_id FROM events WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE`,
        [id],
      );
      if (!event) throw new NotFoundError('Event not found.');
      assertOrganizerOrSuperuser(caller, event.organizer_id);
      // Started or not is judged by the deletion's own time, taken once the lock is held (now() is the
      // transaction's start, before any wait for the lock): the allocator reads `deleted_at < time` the same way.
      const [{ started }] = await manager.query(
        `WITH deleted AS (
           UPDATE events SET deleted_at = statement_timestamp(), updated_at = now() WHERE id = $1
           RETURNING time <= deleted_at AS started
         )
         SELECT started FROM deleted`,
        [id],
      );
      const outboxed = started ? [] : await this.cancelLiveBookings(manager, id);
      return { owed: await this.invalidation.owe(manager, [id]), outboxed };
    });
    await this.invalidation.pay(owed);
    await this.outbox.publish(outboxed);
    return id;
  }

  /** Cancels the event's live bookings, returning their seats, and writes each holder's email to the outbox once. */
  private async cancelLiveBookings(manager: EntityManager, id: string): Promise<OutboxEntry[]> {
    // The holders are those the update cancelled: a booking inserted after a separate read would be cancelled
    // without its email (the event lock does not hold off inserts).
    const holders: { user_id: number }[] = await manager.query(
      `WITH cancelled AS (
         UPDATE bookings SET status = 'cancelled', cancelled_at = now(), updated_at = now()
          WHERE event_id = $1 AND status IN ('pending', 'processing', 'confirmed')
         RETURNING user_id
       )
       SELECT DISTINCT user_id FROM cancelled ORDER BY user_id`,
      [id],
    );
    await manager.query(`UPDATE events SET booked_tickets = 0 WHERE id = $1`, [id]);
    return this.outbox.write(
      manager,
      holders.map(({ user_id: userId }) => mailJobs.eventCancelled(id, userId)),
    );
  }

  /** 404 for an unknown or deleted event, 403 unless the caller is its organizer or a superuser; its time if not. */
  async assertMayManage(caller: User, id: string): Promise<{ time: Date }> {
    const [event] = await this.dataSource.query(
      `SELECT organizer_id, time FROM events WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    if (!event) throw new NotFoundError('Event not found.');
    assertOrganizerOrSuperuser(caller, event.organizer_id);
    return { time: event.time };
  }

  /** One conditional UPDATE and the cache bump it owes; undefined when there was nothing to change. */
  private async applyChanges(id: string, changes: EventChanges): Promise<OwedBump | undefined> {
    const statement = new SqlFilter();
    const assignments = (Object.keys(COLUMNS) as (keyof NewEvent)[])
      .filter((field) => changes[field] !== undefined)
      .map((field) => `${COLUMNS[field]} = ${statement.param(changes[field])}`);
    if (assignments.length === 0) return undefined;
    statement.where(`id = ${statement.param(id)}`).where('deleted_at IS NULL');
    if (changes.capacity !== undefined) statement.where(`booked_tickets <= ${statement.param(changes.capacity)}`);
    return this.dataSource.transaction(async (manager) => {
      const [, affected] = await manager.query(
        `UPDATE events SET ${assignments.join(', ')}, updated_at = now() ${statement.sql}`,
        statement.params,
      );
      if (affected === 0) await this.explainRefusedUpdate(manager, id);
      return this.invalidation.owe(manager, [id]);
    });
  }

  private async explainRefusedUpdate(manager: EntityManager, id: string): Promise<never> {
    const [event] = await manager.query(`SELECT booked_tickets FROM events WHERE id = $1 AND deleted_at IS NULL`, [id]);
    if (!event) throw new NotFoundError('Event not found.');
    throw new ConflictError('Capacity cannot be lower than the tickets already booked.', {
      booked_tickets: event.booked_tickets,
    });
  }
}

function assertOrganizerOrSuperuser(caller: User, organizerId: number): void {
  if (caller.id !== organizerId && !hasRole(caller, 'superuser')) {
    throw new ForbiddenError('Only the organizer or a superuser may change this event.');
  }
}

/** Times are shown to the second, so a time sent back as it was shown is the same time. */
function sameSecond(a: Date, b: Date): boolean {
  return Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
}

function assertFuture(time: Date): void {
  if (time.getTime() <= Date.now()) {
    throw new BadRequestError('Validation failed.', { time: ['time must be in the future'] });
  }
}
