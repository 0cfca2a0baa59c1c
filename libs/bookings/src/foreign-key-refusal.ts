import { NotFoundError } from '@evently/common';
import { PG_FOREIGN_KEY_VIOLATION, postgresErrorCode } from '@evently/database';

/**
 * A row a booking or an idempotency key refers to was deleted between the checks and the insert (a foreign-key
 * violation): the event's or the user's 404. Any other error is returned as it is.
 */
export function asNotFound(error: unknown): unknown {
  if (postgresErrorCode(error) !== PG_FOREIGN_KEY_VIOLATION) return error;
  const constraint = String((error as { driverError?: { constraint?: unknown } }).driverError?.constraint ?? '');
  return new NotFoundError(constraint.includes('event') ? 'Event not found.' : 'User not found.');
}
