import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CacheInvalidation } from '@evently/cache';
import { User } from '@evently/database';
import { NewUser, UsersService } from '@evently/users';

import { escapeLike } from './event-filters';

/** Staff accounts, and the clean-up of test users together with the seats their bookings held. */
@Injectable()
export class StaffUsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly invalidation: CacheInvalidation,
  ) {}

  /** A staff account; this path can never grant superuser. */
  createStaff(input: NewUser): Promise<User> {
    return this.users.create(input, { isStaff: true, isSuperuser: false });
  }

  /**
   * Deletes the users whose username starts with `prefix` (matched literally), never staff, superusers,
   * the caller or an event's organizer. In one transaction: the users are locked (which also holds off
   * new bookings of theirs), then every event they hold bookings for, in id order; their confirmed
   * tickets are given back, and deleting the users cascades to their bookings. The events are locked
   * `FOR NO KEY UPDATE`: a booking insert holds a key-share lock on its event (the foreign key) while it
   * waits for its user, and `FOR UPDATE` would wait for it in turn: a deadlock.
   */
  async bulkDelete(caller: User, prefix: string): Promise<number> {
    const { userIds, owed } = await this.dataSource.transaction((manager) =>
      this.deleteMatching(manager, caller, prefix),
    );
    if (owed) await this.invalidation.pay(owed);
    return userIds.length;
  }

  private async deleteMatching(manager: EntityManager, caller: User, prefix: string) {
    const users: { id: number }[] = await manager.query(
      `SELECT u.id FROM users u
        WHERE u.username LIKE $1 AND NOT u.is_staff AND NOT u.is_superuser AND u.id <> $2
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.organizer_id = u.id)
        ORDER BY u.id FOR UPDATE`,
      [`${escapeLike(prefix)}%`, caller.id],
    );
    const userIds = users.map((user) => user.id);
    if (userIds.length === 0) return { userIds, owed: undefined };
    const events: { id: string }[] = await manager.query(
      `SELECT id FROM events WHERE id IN (SELECT event_id FROM bookings WHERE user_id = ANY($1))
        ORDER BY id FOR NO KEY UPDATE`,
      [userIds],
    );
    await manager.query(
      `UPDATE events e SET booked_tickets = e.booked_tickets - held.tickets, updated_at = now()
         FROM (SELECT event_id, sum(ticket_count)::int AS tickets FROM bookings
                WHERE user_id = ANY($1) AND status = 'confirmed' GROUP BY event_id) held
        WHERE e.id = held.event_id`,
      [userIds],
    );
    await manager.query(`DELETE FROM users WHERE id = ANY($1)`, [userIds]);
    const owed = await this.invalidation.owe(
      manager,
      events.map((event) => event.id),
    );
    return { userIds, owed };
  }
}
