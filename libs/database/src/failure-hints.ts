import { PG_INVALID_CATALOG_NAME, PG_UNDEFINED_TABLE, postgresErrorCode } from './postgres-errors';

export const RUN_MIGRATIONS =
  'if DATABASE_URL, or DB_NAME, names the right database, run the migrations first: `npm run migration:run`, ' +
  'or the CLI’s migrate command';

/** A database that is missing or not migrated yet: the usual first-run slip, whose fix is one command. */
const NOT_MIGRATED = new Set([PG_INVALID_CATALOG_NAME, PG_UNDEFINED_TABLE]);

/** A server nobody reached: its message names an address, but not that it was PostgreSQL's, nor the settings. */
const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);
const POOL_TIMEOUT = 'timeout exceeded when trying to connect';
const REACH_POSTGRES = 'is PostgreSQL running there? check DATABASE_URL, or DB_HOST and DB_PORT';

/**
 * What to add to the report of a start or command that failed on PostgreSQL, the one server connected to before
 * anything else: where to point it when it was not reached, and, unless `migrating`, to migrate first when the
 * database is missing or not migrated; else nothing.
 */
export function databaseFailureHint(error: unknown, { migrating = false } = {}): string {
  // A host name with several addresses fails as an AggregateError of one error each.
  const { code, message, errors = [] } = (error ?? {}) as { code?: unknown; message?: unknown; errors?: unknown[] };
  const codes = [code, ...errors.map((each) => (each as { code?: unknown })?.code)];
  if (codes.some((each) => UNREACHED.has(String(each))) || message === POOL_TIMEOUT) return ` (${REACH_POSTGRES})`;
  return !migrating && NOT_MIGRATED.has(postgresErrorCode(error) ?? '') ? ` (${RUN_MIGRATIONS})` : '';
}
