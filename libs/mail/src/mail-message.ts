import type { EntityManager } from 'typeorm';

/** What each kind of email needs to render; the folder `templates/<kind>/` holds its html and text parts. */
export interface MailContexts {
  'booking-confirmed': EventFacts & { bookingId: string; tickets: number; totalAmount: string };
  'booking-cancelled': EventFacts & { bookingId: string; tickets: number };
  /** `messageLines` for the html part, which breaks them with `<br>`: Outlook's Word engine ignores CSS line breaks. */
  'event-notice': EventFacts & { message: string; messageLines: string[] };
  'event-cancelled': EventFacts;
}

/** Plain-text parts and subjects only interpolate `{{key}}`, so what they use is text. */
export interface EventFacts {
  name: string;
  eventName: string;
  venue: string;
  eventTime: string;
}

export type MailKind = keyof MailContexts;

export interface Mail<K extends MailKind = MailKind> {
  kind: K;
  /** The same for every attempt at one email (kind, source id, user id): the second attempt sends nothing. */
  dedupeKey: string;
  to: string;
  context: MailContexts[K];
  /**
   * Mails that share it go out one at a time, each once the one before has reached the SMTP server: one holder's
   * mails about one event, so that a cancellation never overtakes the confirmation being sent.
   */
  sequenceKey?: string;
  /** Asked again when the mail's turn has come: false once what it says is no longer so (a cancelled booking). */
  stillSo?: (transaction: Pick<EntityManager, 'query'>) => Promise<boolean>;
}

/** Subject lines; the mailer fills `{{key}}` from the context in one pass, so values are never re-read as placeholders. */
export const MAIL_SUBJECTS: Record<MailKind, string> = {
  'booking-confirmed': 'Booking confirmed: {{eventName}}',
  'booking-cancelled': 'Booking cancelled: {{eventName}}',
  'event-notice': 'Update about {{eventName}}',
  'event-cancelled': 'Event cancelled: {{eventName}}',
};
