import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { JobProducer } from './job-producer.service';
import { JOB_QUEUE, OutgoingJob } from './queue-names';

const RELAY_BATCH = 500;
/**
 * Jobs one writer hands to Redis right after its commit; the relay's timer publishes the rest within seconds. Redis
 * runs a bulk add as one block, serving nobody else meanwhile: the cancellations of a big event's deletion at once
 * would hold every api's cache reads and signals for as long.
 */
export const PUBLISH_AT_ONCE = 1000;
/** Published jobs looked up in Redis per follow-up; the next follow-up goes on after the last one looked at. */
const FOLLOW_UP_BATCH = 1000;
/** A job published this recently is left alone: it may still be on its way into BullMQ's lists. */
const FOLLOW_UP_MIN_AGE_SECONDS = 10;

/** An outbox row as written: its id, and the job it holds. */
export interface OutboxEntry {
  id: string;
  job: OutgoingJob;
}

interface OutboxRow {
  id: string;
  job_name: OutgoingJob['name'];
  job_id: string;
  payload: OutgoingJob['payload'];
}

/**
 * The transactional outbox: jobs are written in the same transaction as the change that causes them,
 * then handed to BullMQ after the commit. Whatever a crash or a Redis outage leaves unpublished is
 * picked up by {@link publishPending}, which the worker runs on a timer. Plain SQL over arrays: a settled
 * batch writes a row per confirmation, which TypeORM's query builder spent more CPU preparing than
 * PostgreSQL spent inserting.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private followUpCursor = '0';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
  ) {}

  /** Records jobs inside the caller's transaction; returns the entries to hand to {@link publish}. */
  async write(manager: EntityManager, jobs: OutgoingJob[]): Promise<OutboxEntry[]> {
    if (jobs.length === 0) return [];
    const rows: OutboxRow[] = await manager.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::jsonb[])
       RETURNING id, job_name, job_id, payload`,
      [
        jobs.map((job) => JOB_QUEUE[job.name]),
        jobs.map((job) => job.name),
        jobs.map((job) => job.jobId),
        jobs.map((job) => JSON.stringify(job.payload)),
      ],
    );
    return rows.map(toEntry);
  }

  /**
   * Best-effort publication right after the commit; failures are left for the relay timer. Should the timer
   * have published an entry first, adding it again is harmless: a job id is added once, a mail sent once.
   */
  async publish(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.publishEntries(entries.slice(0, PUBLISH_AT_ONCE));
    } catch (error) {
      this.logger.warn(`outbox publish deferred: ${(error as Error).message}`);
    }
  }

  /** Publishes what is still unpublished, oldest first; returns how many it published. */
  async publishPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: OutboxRow[] = await this.dataSource.query(
        `SELECT id, job_name, job_id, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
        [RELAY_BATCH],
      );
      if (rows.length === 0) return total;
      await this.publishEntries(rows.map(toEntry));
      total += rows.length;
      if (rows.length < RELAY_BATCH) return total;
    }
  }

  /** The worker that ran the job says it is finished (completed, or failed for good): the follow-up leaves it be. */
  async markFinished(jobId: string): Promise<void> {
    await this.dataSource.query(`UPDATE outbox SET finished_at = now() WHERE job_id = $1 AND finished_at IS NULL`, [
      jobId,
    ]);
  }

  /**
   * Looks up published jobs that no worker has marked finished, {@link FOLLOW_UP_BATCH} at a time, going on where the
   * last run stopped. One that Redis no longer holds at all (it restarted empty) is published again, so its mail
   * still goes out: a mail is sent once per dedupe key, so a job that had in fact run only runs again for nothing.
   * One BullMQ shows finished (its worker died before marking it) is marked. A batch that found lost jobs is followed
   * by the next at once, so a backlog Redis lost is published again in one run, not a batch per run. Returns how many
   * it published again.
   */
  async followUpPublished(): Promise<number> {
    let republished = 0;
    for (;;) {
      if (!(await this.producer.connected())) return republished;
      const { lookedUp, lost } = await this.followUpBatch();
      republished += lost;
      if (lookedUp < FOLLOW_UP_BATCH || lost === 0) return republished;
    }
  }

  private async followUpBatch(): Promise<{ lookedUp: number; lost: number }> {
    const rows: OutboxRow[] = await this.dataSource.query(
      `SELECT id, job_name, job_id, payload FROM outbox
        WHERE published_at IS NOT NULL AND finished_at IS NULL AND id > $1
          AND published_at < now() - make_interval(secs => $2)
        ORDER BY id LIMIT $3`,
      [this.followUpCursor, FOLLOW_UP_MIN_AGE_SECONDS, FOLLOW_UP_BATCH],
    );
    const entries = rows.map(toEntry);
    const jobs = await this.producer.findJobs(entries.map((entry) => entry.job));
    const finished = entries.filter((_entry, index) => jobs[index]?.finishedOn);
    const lost = entries.filter((_entry, index) => !jobs[index]);
    if (finished.length > 0) {
      await this.dataSource.query(`UPDATE outbox SET finished_at = now() WHERE id = ANY($1::bigint[])`, [
        finished.map((entry) => entry.id),
      ]);
    }
    if (lost.length > 0) await this.producer.add(lost.map((entry) => entry.job));
    this.followUpCursor = rows.length < FOLLOW_UP_BATCH ? '0' : String(rows[rows.length - 1].id);
    return { lookedUp: rows.length, lost: lost.length };
  }

  /** Rows not yet published and how old the oldest is, for health and metrics. */
  async lag(): Promise<{ pending: number; oldestSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS oldest
         FROM outbox WHERE published_at IS NULL`,
    );
    return { pending: row.pending, oldestSeconds: row.oldest };
  }

  private async publishEntries(entries: OutboxEntry[]): Promise<void> {
    await this.producer.add(entries.map((entry) => entry.job));
    await this.dataSource.query(
      `UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL`,
      [entries.map((entry) => entry.id)],
    );
  }
}

function toEntry(row: OutboxRow): OutboxEntry {
  return { id: String(row.id), job: { name: row.job_name, jobId: row.job_id, payload: row.payload } as OutgoingJob };
}
