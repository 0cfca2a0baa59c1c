import { AppConfig } from '@evently/config';
import { MAIL_CONCURRENCY } from '@evently/mail';

/**
 * Why this worker's pool is too small for its jobs, if it is: every settle job and every mail job holds a
 * connection, and a job that waits over 3 s for one fails (and is retried) in the middle of an on-sale.
 */
export function databasePoolShortfall(config: AppConfig): string | undefined {
  const needed = config.workerConcurrency + MAIL_CONCURRENCY;
  if (config.databasePoolSize >= needed) return undefined;
  return (
    `DB_POOL_SIZE ${config.databasePoolSize} is below WORKER_CONCURRENCY + ${MAIL_CONCURRENCY} (${needed}): ` +
    `jobs will wait for a database connection under load and fail after 3 s; raise DB_POOL_SIZE to ${needed}`
  );
}
