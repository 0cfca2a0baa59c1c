import { DataSource } from 'typeorm';

import { BookingStatus } from '@evently/database';
import { uniqueName } from '@evently/testing';

export interface SeedBookings {
  eventId: string;
  userId: number;
  status: BookingStatus;
  count?: number;
  tickets?: number;
}

/**
 * Inserts bookings straight into the database; confirmed ones also raise the event's `booked_tickets`
 * counter, as the worker would. Returns the booking ids.
 */
export async function seedBookings(dataSource: DataSource, seed: SeedBookings): Promise<string[]> {
  const count = seed.count ?? 1;
  const tickets = seed.tickets ?? 1;
  const rows: { id: string }[] = await dataSource.query(
    `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, confirmed_at)
     SELECT $1, $2, $3, $3 * 10, $4::text, CASE WHEN $4::text = 'confirmed' THEN now() END FROM generate_series(1, $5)
     RETURNING id`,
    [seed.eventId, seed.userId, tickets, seed.status, count],
  );
  if (seed.status === 'confirmed') {
    await dataSource.query(`UPDATE events SET booked_tickets = booked_tickets + $2 WHERE id = $1`, [
      seed.eventId,
      count * tickets,
    ]);
  }
  return rows.map((row) => row.id);
}

/** A word no other test uses, to scope list queries to one test's events. */
export function marker(): string {
  return uniqueName('mk').replace('_', '');
}

/** Inserts `count` events in one statement (times an hour apart from `start`); returns their ids in time order. */
export async function seedEvents(
  dataSource: DataSource,
  organizerId: number,
  count: number,
  name: string,
  start = new Date(Date.now() + 24 * 3600 * 1000),
): Promise<string[]> {
  const rows: { id: string }[] = await dataSource.query(
    `INSERT INTO events (name, venue, time, capacity, price_per_ticket, organizer_id)
     SELECT $1 || ' ' || n, 'Bulk Hall', $2::timestamptz + make_interval(hours => n), 10, 5, $3
       FROM generate_series(1, $4) AS n ORDER BY n
     RETURNING id`,
    [name, start, organizerId, count],
  );
  return rows.map((row) => row.id);
}
