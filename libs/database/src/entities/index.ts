import { AuthToken } from './auth-token.entity';
import { Booking } from './booking.entity';
import { EventNotice } from './event-notice.entity';
import { Event } from './event.entity';
import { IdempotencyKey } from './idempotency-key.entity';
import { MailDelivery } from './mail-delivery.entity';
import { OutboxMessage } from './outbox-message.entity';
import { User } from './user.entity';

export * from './auth-token.entity';
export * from './booking.entity';
export * from './event-notice.entity';
export * from './event.entity';
export * from './idempotency-key.entity';
export * from './mail-delivery.entity';
export * from './outbox-message.entity';
export * from './user.entity';

export const ENTITIES = [User, AuthToken, Event, Booking, IdempotencyKey, OutboxMessage, EventNotice, MailDelivery];
