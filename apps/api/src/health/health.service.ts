import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { RedisService, withTimeout } from '@evently/cache';
import { AppConfig } from '@evently/config';
import { QUEUES } from '@evently/queue';

import { HealthReportDto } from './dto/health-report.dto';

const CHECK_BUDGET_MS = 1500;

/** Database, Redis and live BullMQ workers, each checked within a short budget. */
@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QUEUES.bookings) private readonly bookings: Queue,
    @InjectQueue(QUEUES.mail) private readonly mail: Queue,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  async check(): Promise<HealthReportDto> {
    const [database, redis] = await Promise.all([this.databaseUp(), this.redis.ping()]);
    const processes = redis ? await this.workerNames() : [];
    const workers = processes.length;
    const queues = redis ? await this.queueStats() : {};
    const failing = [!database && 'database', !redis && 'redis', workers === 0 && 'workers'].filter(Boolean);
    const status = !database || !redis ? 'unhealthy' : workers === 0 ? 'degraded' : 'healthy';
    return {
      status,
      celery: !redis ? 'unknown' : workers > 0 ? 'running' : 'not running',
      workers,
      broker: this.config.redactedRedisUrl,
      processes,
      message:
        failing.length === 0 ? `Workers are running with ${workers} worker(s)` : `Unavailable: ${failing.join(', ')}`,
      checks: { database: database ? 'up' : 'down', redis: redis ? 'up' : 'down', workers },
      queues,
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

  private async workerNames(): Promise<string[]> {
    try {
      const workers = await withTimeout(this.bookings.getWorkers(), CHECK_BUDGET_MS);
      return workers.map((worker) => worker.name || worker.id || 'worker');
    } catch {
      return [];
    }
  }

  private async queueStats(): Promise<HealthReportDto['queues']> {
    const stats: HealthReportDto['queues'] = {};
    for (const queue of [this.bookings, this.mail]) {
      try {
        const counts = await withTimeout(queue.getJobCounts('waiting', 'active', 'delayed'), CHECK_BUDGET_MS);
        const [oldest] = await withTimeout(queue.getJobs(['waiting'], -1, -1, true), CHECK_BUDGET_MS);
        stats[queue.name] = {
          waiting: counts.waiting ?? 0,
          active: counts.active ?? 0,
          oldest_waiting_seconds: oldest ? Math.max(0, Math.round((Date.now() - oldest.timestamp) / 1000)) : 0,
        };
      } catch {
        continue;
      }
    }
    return stats;
  }
}
