import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';

import { OutboxMessage } from '@evently/database';

import { JobProducer } from './job-producer.service';
import { JobName, JOB_QUEUE, OutgoingJob } from './queue-names';

const RELAY_BATCH = 500;

/**
 * The transactional outbox: jobs are written in the same transaction as the change that causes them,
 * then handed to BullMQ after the commit. Whatever a crash or a Redis outage leaves unpublished is
 * picked up by {@link publishPending}, which the worker runs on a timer.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
  ) {}

  /** Records jobs inside the caller's transaction; returns their outbox ids for {@link publish}. */
  async write(manager: EntityManager, jobs: OutgoingJob[]): Promise<string[]> {
    if (jobs.length === 0) return [];
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(OutboxMessage)
      .values(
        jobs.map((job) => ({ queue: JOB_QUEUE[job.name], jobName: job.name, jobId: job.jobId, payload: job.payload })),
      )
      .returning(['id'])
      .execute();
    return result.identifiers.map((row) => String(row.id));
  }

  /** Best-effort publication right after the commit; failures are left for the relay timer. */
  async publish(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.publishRows(await this.dataSource.getRepository(OutboxMessage).findBy({ id: In(ids) }));
    } catch (error) {
      this.logger.warn(`outbox publish deferred: ${(error as Error).message}`);
    }
  }

  /** Publishes what is still unpublished, oldest first; returns how many it published. */
  async publishPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.dataSource
        .getRepository(OutboxMessage)
        .createQueryBuilder('message')
        .where('message.publishedAt IS NULL')
        .orderBy('message.id')
        .limit(RELAY_BATCH)
        .getMany();
      if (rows.length === 0) return total;
      await this.publishRows(rows);
      total += rows.length;
      if (rows.length < RELAY_BATCH) return total;
    }
  }

  /** Rows not yet published and how old the oldest is, for health and metrics. */
  async lag(): Promise<{ pending: number; oldestSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS oldest
         FROM outbox WHERE published_at IS NULL`,
    );
    return { pending: row.pending, oldestSeconds: row.oldest };
  }

  private async publishRows(rows: OutboxMessage[]): Promise<void> {
    const unpublished = rows.filter((row) => !row.publishedAt);
    if (unpublished.length === 0) return;
    await this.producer.add(
      unpublished.map(
        (row) => ({ name: row.jobName as JobName, jobId: row.jobId, payload: row.payload }) as OutgoingJob,
      ),
    );
    await this.dataSource
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ publishedAt: () => 'now()' })
      .whereInIds(unpublished.map((row) => row.id))
      .execute();
  }
}
