import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { PeriodicTask } from '@evently/common';

const PRUNE_INTERVAL_MS = 60 * 60_000;
/** Rows deleted per statement: short transactions, and the WAL written in small steps. */
export const PRUNE_BATCH = 5_000;
/** Between two statements, so a backlog (the first start after an upgrade) does not hold the database busy. */
const PAUSE_BETWEEN_BATCHES_MS = 50;

/**
 * How long the bookkeeping of finished work is kept. Idempotency keys replay answers for 24 hours (the README's
 * promise). A published outbox row has done its job and is kept a week for inquiries; one not yet published
 * stays until the relay has published it. A mail delivery is what stops a mail from going out twice; its job
 * retries for about 23 hours, BullMQ keeps a failed job at least 7 days and the queue dashboard can retry
 * it, so a month covers every re-run short of someone retrying a month-old job by hand. A token that has expired (a
 * queue dashboard session's) authenticates nowhere; an api token has no expiry and lasts until logout.
 */
export const RETENTION: readonly { table: string; expired: string }[] = [
  { table: 'idempotency_keys', expired: `created_at < now() - interval '24 hours'` },
  { table: 'outbox', expired: `published_at < now() - interval '7 days'` },
  { table: 'mail_deliveries', expired: `sent_at < now() - interval '30 days'` },
  { table: 'auth_tokens', expired: `expires_at < now()` },
];

/**
 * Deletes what {@link RETENTION} no longer keeps, at start and then hourly, so tables that every booking and
 * mail adds to do not grow forever. Every worker runs it; SKIP LOCKED lets two workers share the rows. On
 * shutdown it stops after the statement in flight, so the worker's processors close without waiting on it.
 */
@Injectable()
export class RetentionPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionPruner.name);
  private readonly prunes = new PeriodicTask(
    async (stopping) => {
      const deleted = await this.prune(stopping);
      if (Object.values(deleted).some((count) => count > 0)) this.logger.log({ deleted }, 'pruned old rows');
    },
    PRUNE_INTERVAL_MS,
    (error) => this.logger.warn(`pruning failed: ${error.message}`),
  );

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.prunes.start({ now: true });
  }

  async onModuleDestroy(): Promise<void> {
    await this.prunes.stop();
  }

  /** Rows deleted per table; once `stopping` is aborted, no further statement starts. */
  async prune(stopping?: AbortSignal): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const retention of RETENTION) deleted[retention.table] = await this.pruneTable(retention, stopping);
    return deleted;
  }

  /** Batch after batch until a batch comes back short, or the worker stops. */
  private async pruneTable({ table, expired }: (typeof RETENTION)[number], stopping?: AbortSignal): Promise<number> {
    // ctid = ANY(ARRAY(…)): the batch's rows by their address; `IN (subquery)` read the whole table to join them.
    const statement = `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
                         SELECT ctid FROM ${table} WHERE ${expired} LIMIT $1 FOR UPDATE SKIP LOCKED))`;
    let total = 0;
    while (!stopping?.aborted) {
      const [, count]: [unknown, number] = await this.dataSource.query(statement, [PRUNE_BATCH]);
      total += count;
      if (count < PRUNE_BATCH) break;
      await sleep(PAUSE_BETWEEN_BATCHES_MS);
    }
    return total;
  }
}
