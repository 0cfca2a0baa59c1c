import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { EventFacts, Mail } from '@evently/mail';

interface RecipientRow {
  user_id: number;
  email: string;
  username: string;
  first_name: string;
  event_name: string;
  venue: string;
  time: Date;
}

type BookingRow = RecipientRow & {
  booking_id: string;
  event_id: string;
  status: string;
  ticket_count: number;
  total_amount: string;
};
type NoticeRow = RecipientRow & { notice_id: string; event_id: string; message: string };

const RECIPIENT_COLUMNS = `u.id AS user_id, u.email, u.username, u.first_name, e.name AS event_name, e.venue, e.time`;

/** Whether user `u` is still to hear about event `e`: the event stands and they hold a confirmed booking of it. */
const STILL_TOLD_OF_EVENT = `e.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = e.id AND b.user_id = u.id AND b.status = 'confirmed')`;

/**
 * Turns a mail job's payload into the email to send, read fresh from the database. Returns null when what
 * the email is about (or its recipient) no longer exists: there is nobody left to tell.
 */
@Injectable()
export class MailComposer {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Nothing once the booking is cancelled: its holder has been told that, and a late confirmation would contradict it. */
  async bookingConfirmed(bookingId: string): Promise<Mail<'booking-confirmed'> | null> {
    const row = await this.booking(bookingId);
    if (!row || row.status !== 'confirmed') return null;
    const mail = mailFor('booking-confirmed', `booking-confirmed:${bookingId}:${row.user_id}`, row, {
      bookingId,
      tickets: row.ticket_count,
      totalAmount: row.total_amount,
    });
    const stillSo = recheck(`SELECT 1 FROM bookings WHERE id = $1 AND status = 'confirmed'`, [bookingId]);
    return { ...mail, sequenceKey: holderSequence(row.event_id, row.user_id), stillSo };
  }

  async bookingCancelled(bookingId: string): Promise<Mail<'booking-cancelled'> | null> {
    const row = await this.booking(bookingId);
    if (!row) return null;
    const mail = mailFor('booking-cancelled', `booking-cancelled:${bookingId}:${row.user_id}`, row, {
      bookingId,
      tickets: row.ticket_count,
    });
    return { ...mail, sequenceKey: holderSequence(row.event_id, row.user_id) };
  }

  /**
   * Nothing once the event is deleted or the recipient holds no confirmed booking of it any more (notices go out at
   * the mail rate, minutes after the notify): they have been told of the cancellation, which a notice would contradict.
   */
  async eventNotice(noticeId: string, userId: number): Promise<Mail<'event-notice'> | null> {
    const [row]: NoticeRow[] = await this.dataSource.query(
      `SELECT ${RECIPIENT_COLUMNS}, n.id AS notice_id, n.event_id, n.message
         FROM event_notices n JOIN events e ON e.id = n.event_id JOIN users u ON u.id = $2
        WHERE n.id = $1 AND ${STILL_TOLD_OF_EVENT}`,
      [noticeId, userId],
    );
    if (!row) return null;
    const mail = mailFor('event-notice', `event-notice:${noticeId}:${userId}`, row, {
      message: row.message,
      messageLines: row.message.split(/\r\n|\r|\n/),
    });
    const stillSo = recheck(
      `SELECT 1 FROM events e JOIN users u ON u.id = $2 WHERE e.id = $1 AND ${STILL_TOLD_OF_EVENT}`,
      [row.event_id, userId],
    );
    return { ...mail, sequenceKey: holderSequence(row.event_id, userId), stillSo };
  }

  async eventCancelled(eventId: string, userId: number): Promise<Mail<'event-cancelled'> | null> {
    const [row]: RecipientRow[] = await this.dataSource.query(
      `SELECT ${RECIPIENT_COLUMNS} FROM events e JOIN users u ON u.id = $2 WHERE e.id = $1`,
      [eventId, userId],
    );
    if (!row) return null;
    const mail = mailFor('event-cancelled', `event-cancelled:${eventId}:${userId}`, row, {});
    return { ...mail, sequenceKey: holderSequence(eventId, userId) };
  }

  private async booking(bookingId: string): Promise<BookingRow | undefined> {
    const [row]: BookingRow[] = await this.dataSource.query(
      `SELECT ${RECIPIENT_COLUMNS}, b.id AS booking_id, b.event_id, b.status, b.ticket_count, b.total_amount
         FROM bookings b JOIN events e ON e.id = b.event_id JOIN users u ON u.id = b.user_id
        WHERE b.id = $1`,
      [bookingId],
    );
    return row;
  }
}

/**
 * A mail's condition, checked again in its turn (see {@link Mail.stillSo}): a cancellation sent while it waited for
 * that turn has told the holder otherwise. True while the query finds a row.
 */
function recheck(sql: string, params: unknown[]): NonNullable<Mail['stillSo']> {
  return async (transaction) => (await transaction.query(sql, params)).length > 0;
}

/** One holder's mails about one event go out in turn (see {@link Mail.sequenceKey}). */
function holderSequence(eventId: string, userId: number): string {
  return `${eventId}:${userId}`;
}

function mailFor<K extends Mail['kind']>(
  kind: K,
  dedupeKey: string,
  row: RecipientRow,
  details: Omit<Mail<K>['context'], keyof EventFacts>,
): Mail<K> {
  const facts: EventFacts = {
    name: oneLine(row.first_name) || row.username,
    eventName: oneLine(row.event_name),
    venue: oneLine(row.venue),
    eventTime: formatTime(row.time),
  };
  return { kind, dedupeKey, to: row.email, context: { ...facts, ...details } as Mail<K>['context'] };
}

/**
 * Text a user or organizer typed, as one line: line breaks and other control characters become a space, so a name
 * cannot start paragraphs of its own in the plain-text mail (anyone may register with anyone's address).
 */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
}

/** `2030-06-15 09:00 UTC`: every time Evently shows is UTC. */
function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
