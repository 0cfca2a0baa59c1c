import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

import { applicationName, CONNECT_TIMEOUT_MS, databaseOptions } from './database-options';
import { ListeningClient } from './listening-client';
import { MIGRATIONS } from './migrations';
import {
  PG_DUPLICATE_DATABASE,
  PG_INVALID_CATALOG_NAME,
  PG_UNIQUE_VIOLATION,
  postgresErrorCode,
} from './postgres-errors';

const CREATED_BY_ANOTHER = new Set([PG_DUPLICATE_DATABASE, PG_UNIQUE_VIOLATION]);

export interface MigrationReport {
  databaseCreated: boolean;
  applied: string[];
}

/** Any fixed number: the session lock only migrations take, so that two of them never run at once. */
const MIGRATION_LOCK = 7_165_329_001;
const LOCK_RETRY_MS = 250;
/**
 * The granted migration lock in `pg_locks` (aliased `l`), `$1` being {@link MIGRATION_LOCK}: a bigint advisory key is
 * split over classid and objid, with objsubid 1.
 */
const MIGRATION_LOCK_GRANTED = `l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND ((l.classid::bigint << 32) | l.objid::bigint) = $1`;
/** How often a run waiting for the migration lock says it still is. */
const LOCK_WAIT_REPORT_MS = 30_000;
/** A lock check that gets no answer within this long counts the lock as lost: its connection is gone unannounced. */
const LOCK_CHECK_BUDGET_MS = 5000;

/**
 * Creates the database named by `url` when missing, then applies pending migrations. Safe to run twice, and at
 * once (a migrate job per deployed pod): the second waits for the first and finds the schema up to date, where
 * TypeORM alone would let both apply the same migration. Aborting `signal` (the CLI's Ctrl-C) cancels the statement
 * running on the server, where it would otherwise go on, holding its table's lock, after the process had gone; the
 * run then rejects with the signal's reason.
 */
export async function migrateDatabase(
  url: string,
  log: (line: string) => void = () => {},
  signal?: AbortSignal,
): Promise<MigrationReport> {
  const databaseCreated = await createDatabaseIfMissing(url, log);
  // A name of this run's own, so that cancelling its statements can touch no other process's.
  const name = applicationName(`evently-migrate-${randomBytes(3).toString('hex')}`);
  const lock = clientOf(url, name);
  await lock.connect();
  const options = databaseOptions({ url, poolSize: 2, requestTimeouts: false, name });
  const guarded = announced(MIGRATIONS, log, async () => {
    signal?.throwIfAborted();
    await assertLockHeld(lock, name);
  });
  const dataSource = new DataSource({ ...options, migrations: guarded });
  const cancel = () => void cancelRunningStatements(lock);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    await takeMigrationLock(lock, log, signal);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length === 0) log(`the schema of ${databaseName(url)} is up to date`);
    return { databaseCreated, applied: applied.map((migration) => migration.name) };
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    try {
      if (dataSource.isInitialized) await dataSource.destroy();
    } finally {
      // Ending the session releases its lock.
      await lock.end();
    }
  }
}

/** The lock's session asks the server to cancel what the run's other sessions (the same name) are running. */
async function cancelRunningStatements(lock: ListeningClient): Promise<void> {
  await lock
    .query(
      `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = current_setting('application_name')
          AND pid <> pg_backend_pid()`,
    )
    .catch(() => undefined);
}

type MigrationClass = new () => MigrationInterface & { name: string };

/**
 * The migrations, each saying when it starts and how long it took: a table rewrite or an index build on a large
 * table can take minutes, and a failure is then seen to belong to the migration announced last. Each checks that the
 * run still holds the migration lock before it starts and before its transaction commits.
 */
function announced(
  migrations: readonly MigrationClass[],
  log: (line: string) => void,
  assertLocked: () => Promise<void>,
): MigrationClass[] {
  return migrations.map(
    (Migration) =>
      class extends Migration {
        override async up(queryRunner: QueryRunner): Promise<void> {
          await assertLocked();
          log(`applying migration ${this.name}…`);
          const started = performance.now();
          await super.up(queryRunner);
          await assertLocked();
          log(`ran migration ${this.name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        }
      },
  );
}

/**
 * The lock lives as long as its session, which sits idle while the migrations run on other connections: a server's
 * `idle_session_timeout`, a proxy's idle limit or a network cut can end it, and another migrate run may then start the
 * same migrations. A migration that finds the lock gone fails, so its transaction rolls back and none after it runs.
 */
async function assertLockHeld(lock: ListeningClient, name: string): Promise<void> {
  const check = lock
    .query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE ${MIGRATION_LOCK_GRANTED} AND l.pid = pg_backend_pid()) AS held`,
      [MIGRATION_LOCK],
    )
    .then((result) => (result.rows[0].held ? 'held' : 'lost'))
    .catch(() => 'lost');
  // A connection cut without a reset would keep the check waiting for minutes, with the migration's locks held.
  const answer = await Promise.race([check, sleep(LOCK_CHECK_BUDGET_MS, 'silent', { ref: false })]);
  if (answer === 'lost') {
    throw new Error(
      'lost the migration lock (its connection to PostgreSQL closed); another migrate run may be applying migrations: ' +
        'run migrate again',
    );
  }
  if (answer === 'silent') {
    // The server keeps the session, and its lock, until it notices the connection is gone (hours, by default).
    throw new Error(
      `lost the migration lock (its connection stopped answering); if the next migrate run waits for it, end the old ` +
        `session: SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${name}'`,
    );
  }
}

/**
 * Tries rather than waits: a session waiting for a lock is inside a statement, and the running migration's
 * `CREATE INDEX CONCURRENTLY` waits for every statement in progress, so each run would wait for the other for ever.
 */
async function takeMigrationLock(
  lock: ListeningClient,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const tryLock = async () =>
    (await lock.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [MIGRATION_LOCK])).rows[0].taken;
  if (await tryLock()) return;
  log(`waiting for another migration run to finish (${await lockHolder(lock)})`);
  const started = performance.now();
  let reported = started;
  while (!(await tryLock())) {
    await sleep(LOCK_RETRY_MS, undefined, { signal });
    if (performance.now() - reported < LOCK_WAIT_REPORT_MS) continue;
    reported = performance.now();
    const waited = Math.round((reported - started) / 1000);
    log(`still waiting after ${waited} s for the migration lock (${await lockHolder(lock)})`);
  }
}

/**
 * Who holds the migration lock, and how to free it should that run be gone: a crashed run's session can keep it for
 * hours, until the server notices its connection is dead.
 */
async function lockHolder(lock: ListeningClient): Promise<string> {
  const { rows } = await lock.query<{ pid: number; name: string | null; since: Date | null }>(
    `SELECT l.pid, a.application_name AS name, a.backend_start AS since
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ${MIGRATION_LOCK_GRANTED}
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [MIGRATION_LOCK],
  );
  const [holder] = rows;
  if (!holder) return 'it has just finished';
  // Another role's session shows no name or start time without pg_read_all_stats.
  const since = holder.since ? `, connected at ${holder.since.toISOString()}` : '';
  return (
    `held by ${holder.name || 'a session'}, pid ${holder.pid}${since}; if that run has stopped, end its session: ` +
    `SELECT pg_terminate_backend(${holder.pid})`
  );
}

/**
 * Creates the database named by `url` unless a connection to it succeeds. Only a missing database sends it to the
 * server's `postgres` database, which managed servers and connection poolers often refuse.
 */
export async function createDatabaseIfMissing(url: string, log: (line: string) => void = () => {}): Promise<boolean> {
  if (await databaseExists(url)) return false;
  const name = databaseName(url);
  const client = clientOf(maintenanceUrl(url));
  await client.connect().catch((error: unknown) => {
    throw new CannotCreateDatabaseError(name, error);
  });
  try {
    await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } catch (error) {
    // Another migrate run created it first; at the same instant, the catalogue's unique index is what says so.
    if (CREATED_BY_ANOTHER.has(postgresErrorCode(error) ?? '')) return false;
    throw new CannotCreateDatabaseError(name, error);
  } finally {
    await client.end();
  }
  log(`created database ${name}`);
  return true;
}

/**
 * The server's own words alone would name the `postgres` database, which the operator never gave, or a permission
 * nobody asked for: this says which database is missing and the two ways on.
 */
class CannotCreateDatabaseError extends Error {
  constructor(name: string, cause: unknown) {
    const { message, hint } = cause as { message?: string; hint?: string };
    super(
      `database ${name} does not exist, and creating it through the server's "postgres" database failed ` +
        `(${[message, hint].filter(Boolean).join('; ')}): create it yourself, or let DATABASE_URL's user ` +
        'create databases (CREATEDB), then run migrate again',
      { cause },
    );
  }
}

async function databaseExists(url: string): Promise<boolean> {
  const client = clientOf(url);
  try {
    await client.connect();
  } catch (error) {
    if (postgresErrorCode(error) === PG_INVALID_CATALOG_NAME) return false;
    throw error;
  }
  await client.end();
  return true;
}

export async function dropDatabase(url: string): Promise<void> {
  const client = clientOf(maintenanceUrl(url));
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(databaseName(url))} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The database `url` names, decoded as node-postgres decodes it (`decodeURI`), so both mean the same database. */
export function databaseName(url: string): string {
  const name = decodeURI(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  return name;
}

/** A single connection for the migrator's own statements; it gives up opening as the apps' pools do. */
function clientOf(url: string, name = applicationName()): ListeningClient {
  return new ListeningClient({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: name,
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
  });
}

function maintenanceUrl(url: string): string {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  return maintenance.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
