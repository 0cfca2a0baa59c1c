import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

import { withTimeout } from '@evently/cache';
import { QUEUES } from '@evently/queue';

const BUDGET_MS = 1500;
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export type QueueStats = Record<QueueState, number> & { oldestWaitingSeconds: number };

/** Depth per state and the age of the oldest waiting job of each queue, read from BullMQ; for health and metrics. */
@Injectable()
export class QueueStatsService {
  constructor(
    @InjectQueue(QUEUES.bookings) private readonly bookings: Queue,
    @InjectQueue(QUEUES.mail) private readonly mail: Queue,
  ) {}

  /** The stats of every queue that answered within the budget (none while Redis is down). */
  async collect(): Promise<Record<string, QueueStats>> {
    const stats: Record<string, QueueStats> = {};
    await Promise.all(
      [this.bookings, this.mail].map(async (queue) => {
        const answer = await withTimeout(this.statsOf(queue), BUDGET_MS).catch(() => undefined);
        if (answer) stats[queue.name] = answer;
      }),
    );
    return stats;
  }

  private async statsOf(queue: Queue): Promise<QueueStats> {
    const [counts, [oldest]] = await Promise.all([
      queue.getJobCounts(...QUEUE_STATES),
      queue.getJobs(['waiting'], -1, -1), // FIFO jobs are pushed at the head: the oldest is last
    ]);
    const ageMs = oldest ? Date.now() - oldest.timestamp : 0;
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      oldestWaitingSeconds: Math.max(0, Math.round(ageMs / 1000)),
    };
  }
}
