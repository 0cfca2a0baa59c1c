/** SQLSTATE codes Evently reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_DEADLOCK_DETECTED = '40P01';
export const PG_LOCK_NOT_AVAILABLE = '55P03';
export const PG_INVALID_CATALOG_NAME = '3D000';
export const PG_UNDEFINED_TABLE = '42P01';
export const PG_DUPLICATE_DATABASE = '42P04';
export const PG_STRING_TOO_LONG = '22001';

/** Statement or lock timeout, deadlock, serialization failure: the database gave up, a retry may well work. */
const GAVE_UP = ['57014', PG_LOCK_NOT_AVAILABLE, PG_DEADLOCK_DETECTED, '40001'];

export function postgresErrorCode(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Connection refused, the server shutting down or full, or the pool giving up: the database is unavailable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = postgresErrorCode(error);
  if (code && ['57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004'].includes(code))
    return true;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    message,
  );
}

/** The statement was cancelled (timeout) or chosen as a deadlock or serialization victim. */
export function isDatabaseGiveUp(error: unknown): boolean {
  return GAVE_UP.includes(postgresErrorCode(error) ?? '');
}
