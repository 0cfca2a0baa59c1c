import { performance } from 'node:perf_hooks';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { RedisService, withTimeout } from '@evently/cache';
import { describeError } from '@evently/common';
import { AppConfig } from '@evently/config';
import { QUEUES, workerNameIn } from '@evently/queue';

import { HealthReportDto, QueueStatsDto } from './dto/health-report.dto';
import { assessHealth } from './health-status';
import { QueueStats, QueueStatsService } from './queue-stats.service';

const CHECK_BUDGET_MS = 1500;

/** Probes within this long of a check share its answer. */
const REUSE_MS = 1000;
const uncountedFor = (refused: string) => `cannot be counted: Redis refuses ${refused}`;

/**
 * Database, Redis, live BullMQ workers and the queues' backlog, each checked within a short budget (none of the
 * checks throws). Probes share a check started within the last second, so a flood of anonymous probes costs one
 * check a second, not one each.
 */
@Injectable()
export class HealthService {
  private latest?: { startedAt: number; report: Promise<HealthReportDto> };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QUEUES.bookings) private readonly bookings: Queue,
    private readonly queueStats: QueueStatsService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  check(): Promise<HealthReportDto> {
    const now = performance.now();
    if (!this.latest || now - this.latest.startedAt >= REUSE_MS) {
      this.latest = { startedAt: now, report: this.runChecks() };
    }
    return this.latest.report;
  }

  private async runChecks(): Promise<HealthReportDto> {
    const [database, redis] = await Promise.all([this.databaseUp(), this.redis.ping()]);
    const [{ processes, uncounted }, queues] = redis
      ? await Promise.all([this.liveWorkers(), this.queueStats.collect()])
      : [{ processes: [] }, {} as Record<string, QueueStats>];
    const workers = processes.length;
    const oldestBookingJobSeconds = queues[QUEUES.bookings]?.oldestWaitingSeconds ?? 0;
    const { status, failing } = assessHealth(
      { database, redis, workers, workersUncounted: uncounted, oldestBookingJobSeconds },
      this.config.healthMaxJobAgeSeconds,
    );
    return {
      status,
      celery: !redis || uncounted ? 'unknown' : workers > 0 ? 'running' : 'not running',
      workers,
      broker: this.config.redactedRedisUrl,
      processes,
      message:
        failing.length === 0 ? `Workers are running with ${workers} worker(s)` : `Unavailable: ${failing.join(', ')}`,
      checks: { database: database ? 'up' : 'down', redis: redis ? 'up' : 'down', workers },
      queues: Object.fromEntries(Object.entries(queues).map(([name, stats]) => [name, toQueueStatsDto(stats)])),
      ...(failing.length > 0 && { error: 'Service temporarily unavailable.', details: failing.join(', ') }),
    };
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), CHECK_BUDGET_MS);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The workers connected to the bookings queue, by their connection names in `CLIENT LIST`. Where Redis has that
   * command renamed away, BullMQ answers with a placeholder instead (no client id), and where the Redis user may not
   * run it, Redis answers NOPERM: either way no worker can be counted, and the report says why rather than guess.
   */
  private async liveWorkers(): Promise<{ processes: string[]; uncounted?: string }> {
    try {
      const workers = await withTimeout(this.bookings.getWorkers(), CHECK_BUDGET_MS);
      if (workers.some((worker) => worker.id === undefined))
        return { processes: [], uncounted: uncountedFor('CLIENT LIST') };
      return { processes: workers.map(processName) };
    } catch (error) {
      return { processes: [], uncounted: refusedCommand(describeError(error)) };
    }
  }
}

/**
 * A worker's own name (`WORKER_NAME`, `<host>:<pid>`), from its connection name (`rawname`; BullMQ's `name` is the
 * queue's). A worker started without a name is shown by its Redis client id.
 */
function processName({ rawname = '', id }: { rawname?: string; id?: string }): string {
  return workerNameIn(rawname) ?? `client ${id}`;
}

/** The command a NOPERM names (`CLIENT LIST`, or `INFO`, which BullMQ runs first), as the reason for not counting. */
function refusedCommand(message: string): string | undefined {
  if (!/NOPERM/.test(message)) return undefined;
  const command = /run the '([^']+)' command/.exec(message)?.[1];
  return uncountedFor(command ? command.replace('|', ' ').toUpperCase() : 'a command (NOPERM)');
}

function toQueueStatsDto(stats: QueueStats): QueueStatsDto {
  return {
    waiting: stats.waiting,
    active: stats.active,
    delayed: stats.delayed,
    failed: stats.failed,
    oldest_waiting_seconds: stats.oldestWaitingSeconds,
  };
}
