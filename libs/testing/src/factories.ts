import { randomBytes } from 'node:crypto';

import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { User } from '@evently/database';
import { TokensService, UsersService } from '@evently/users';

export type TestRole = 'user' | 'staff' | 'superuser';

export interface TestSession {
  user: User;
  token: string;
  /** `{ Authorization: 'Token …' }`, ready for supertest's `.set()`. */
  headers: { Authorization: string };
}

export const TEST_PASSWORD = 'a-test-password-of-length';

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** A fresh user of the given role with a live token. */
export async function loginAs(app: INestApplicationContext, role: TestRole = 'user', username = uniqueName(role)) {
  const user = await app
    .get(UsersService)
    .create(
      { username, email: `${username}@example.com`, password: TEST_PASSWORD },
      { isStaff: role !== 'user', isSuperuser: role === 'superuser' },
    );
  const token = await app.get(TokensService).issue(user.id);
  return { user, token, headers: { Authorization: `Token ${token}` } } satisfies TestSession;
}

export interface EventOverrides {
  name?: string;
  venue?: string;
  time?: Date;
  capacity?: number;
  price?: string;
  description?: string | null;
  isActive?: boolean;
  organizerId: number;
}

/** Inserts an event straight into the database (for tests that are not about creating events). */
export async function createEvent(dataSource: DataSource, overrides: EventOverrides): Promise<string> {
  const [row] = await dataSource.query(
    `INSERT INTO events (name, venue, time, capacity, description, price_per_ticket, organizer_id, is_active)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      overrides.name ?? uniqueName('event'),
      overrides.venue ?? 'Test Hall',
      overrides.time ?? new Date(Date.now() + 30 * 24 * 3600 * 1000),
      overrides.capacity ?? 100,
      overrides.description ?? 'A test event',
      overrides.price ?? '25.50',
      overrides.organizerId,
      overrides.isActive ?? true,
    ],
  );
  return row.id;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The inventory invariant: the counter equals the confirmed rows, and never exceeds capacity. */
export async function inventoryOf(dataSource: DataSource, eventId: string) {
  const [row] = await dataSource.query(
    `SELECT e.capacity, e.booked_tickets,
            coalesce(sum(b.ticket_count) FILTER (WHERE b.status = 'confirmed'), 0)::int AS confirmed_tickets,
            count(*) FILTER (WHERE b.status IN ('pending', 'processing'))::int AS unsettled
       FROM events e LEFT JOIN bookings b ON b.event_id = e.id
      WHERE e.id = $1 GROUP BY e.id`,
    [eventId],
  );
  return row as { capacity: number; booked_tickets: number; confirmed_tickets: number; unsettled: number };
}
