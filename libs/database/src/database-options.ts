import { hostname } from 'node:os';

import { DataSourceOptions } from 'typeorm';

import { ENTITIES } from './entities';
import { ListeningClient } from './listening-client';
import { MIGRATIONS } from './migrations';

/** How long any connection to PostgreSQL may take to open before the attempt fails. */
export const CONNECT_TIMEOUT_MS = 3000;

export interface DatabaseConnectionSettings {
  url: string;
  poolSize: number;
  /** Off for migrations: building an index on a large table may take minutes and wait for row locks. */
  requestTimeouts?: boolean;
  /** What the connections are called in pg_stat_activity; {@link applicationName} by default. */
  name?: string;
}

/** The one description of how Evently talks to PostgreSQL; migrations only, never synchronize. */
export function databaseOptions({
  url,
  poolSize,
  requestTimeouts = true,
  name = applicationName(),
}: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      Client: ListeningClient,
      max: poolSize,
      // A pool that has grown keeps its connections: pg-pool would close one idle for 10 s, and a burst after a quiet
      // spell would then pay for new PostgreSQL backends, whose first statements are several times slower (their
      // catalogue caches are empty and they map each shared buffer page on first touch).
      min: poolSize,
      // Kept connections can sit idle for hours: TCP keepalives stop a NAT or firewall from silently dropping them.
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A request waiting on a row lock gives up (503) well before clients and proxies give up on it.
      ...(requestTimeouts && { statement_timeout: 15000, lock_timeout: 5000 }),
      application_name: name,
      // PostgreSQL's default random_page_cost (4) models spinning disks. Evently's working set lives in memory or
      // on SSD, where an index read costs little more than a sequential one; at 4 the planner scanned the whole
      // catalogue for a date-window search instead of walking the time index (bench: search p99 52 -> 37 ms).
      options: '-c random_page_cost=1.1',
    },
  };
}

/**
 * How this process names its connections (`evently@<host>:<pid>`, at most PostgreSQL's 63 bytes), so an operator
 * reading pg_stat_activity or the server log can tell which api or worker holds a lock or runs a slow statement.
 */
export function applicationName(role = 'evently'): string {
  const [prefix, suffix] = [`${role}@`, `:${process.pid}`];
  return `${prefix}${hostname().slice(0, 63 - prefix.length - suffix.length)}${suffix}`;
}
