import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const PRUNE_INTERVAL_MS = 60 * 60_000;
/** Rows deleted per statement: short transactions, and the WAL written in small steps. */
export const PRUNE_BATCH = 5_000;

/**
 * How long the bookkeeping of finished work is kept. Idempotency keys replay answers for 24 hours, as the
 * contract says. A published outbox row has done its job and is kept a week for inquiries; one not yet
 * published stays until the relay has published it. A mail delivery is what stops a mail from going out twice,
 * so it outlives every way its job can run again: BullMQ keeps a failed job 7 days, and the queue dashboard can
 * retry it.
 */
export const RETENTION: readonly { table: string; expired: string }[] = [
  { table: 'idempotency_keys', expired: `created_at < now() - interval '24 hours'` },
  // A row is published after it is created: the bound on created_at adds nothing but lets the BRIN index serve.
  { table: 'outbox', expired: `published_at < now() - interval '7 days' AND created_at < now() - interval '7 days'` },
  { table: 'mail_deliveries', expired: `sent_at < now() - interval '30 days'` },
];

/**
 * Deletes what {@link RETENTION} no longer keeps, at start and then hourly, so tables that every booking and
 * mail adds to do not grow forever. Every worker runs it; SKIP LOCKED lets two workers share the rows.
 */
@Injectable()
export class RetentionPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionPruner.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), PRUNE_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Rows deleted per table. */
  async prune(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const retention of RETENTION) deleted[retention.table] = await this.pruneTable(retention);
    return deleted;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.prune()
      .then((deleted) => {
        if (Object.values(deleted).some((count) => count > 0)) this.logger.log({ deleted }, 'pruned old rows');
      })
      .catch((error: Error) => this.logger.warn(`pruning failed: ${error.message}`))
      .finally(() => (this.running = undefined));
  }

  /** Batch after batch until a batch comes back short. */
  private async pruneTable({ table, expired }: (typeof RETENTION)[number]): Promise<number> {
    // ctid = ANY(ARRAY(…)): the batch's rows by their address; `IN (subquery)` read the whole table to join them.
    const statement = `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
                         SELECT ctid FROM ${table} WHERE ${expired} LIMIT $1 FOR UPDATE SKIP LOCKED))`;
    let total = 0;
    for (;;) {
      const [, count]: [unknown, number] = await this.dataSource.query(statement, [PRUNE_BATCH]);
      total += count;
      if (count < PRUNE_BATCH) return total;
    }
  }
}
