import { DataSource } from 'typeorm';

import { BookingStatus } from '@evently/database';

export interface BookingRow {
  eventId: string;
  userId: number;
  status: BookingStatus;
  tickets?: number;
  /** When the booking was made; defaults to now. */
  bookedAt?: Date;
  /** Whether it was ever confirmed; defaults to true for `confirmed`, false otherwise. */
  wasConfirmed?: boolean;
}

/**
 * Inserts bookings as they would look after the worker and cancellations had their say, then sets each
 * event's `booked_tickets` to its confirmed tickets so the inventory stays consistent. For fixtures that
 * need exact dates and statuses; the booking flow itself is tested through the api.
 */
export async function insertBookings(dataSource: DataSource, rows: BookingRow[]): Promise<string[]> {
  const ids: string[] = [];
  for (const row of rows) {
    const bookedAt = row.bookedAt ?? new Date();
    const confirmedAt = (row.wasConfirmed ?? row.status === 'confirmed') ? new Date(bookedAt.getTime() + 1000) : null;
    const [inserted] = await dataSource.query(
      `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, booking_date, confirmed_at,
                             cancelled_at, failure_reason)
       SELECT e.id, $2::int, $3::int, e.price_per_ticket * $3::int, $4::text, $5::timestamptz, $6::timestamptz,
              CASE WHEN $4::text = 'cancelled' THEN $5::timestamptz + interval '1 hour' END,
              CASE WHEN $4::text = 'failed' THEN 'not enough tickets' END
         FROM events e WHERE e.id = $1::uuid
       RETURNING id`,
      [row.eventId, row.userId, row.tickets ?? 1, row.status, bookedAt, confirmedAt],
    );
    ids.push(inserted.id);
  }
  for (const eventId of new Set(rows.map((row) => row.eventId))) {
    await dataSource.query(
      `UPDATE events SET booked_tickets = (SELECT coalesce(sum(ticket_count), 0) FROM bookings
                                            WHERE event_id = $1 AND status = 'confirmed')
        WHERE id = $1`,
      [eventId],
    );
  }
  return ids;
}
