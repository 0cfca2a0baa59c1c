import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

import { CacheInvalidation } from '@evently/cache';
import { PeriodicTask } from '@evently/common';
import { OutboxRelay } from '@evently/queue';

const RELAY_INTERVAL_MS = 2000;
const OWED_BUMPS_INTERVAL_MS = 1000;
const FOLLOW_UP_INTERVAL_MS = 15_000;

/**
 * Hands on what writers recorded in their transactions but could not hand on themselves (killed after the commit,
 * or cut off from Redis): outbox jobs to BullMQ, and owed cache bumps to Redis, so that other processes stop serving
 * the entries those writes outdated within seconds. It also follows published jobs until BullMQ has finished them,
 * publishing again those that Redis lost.
 */
@Injectable()
export class OutboxRelayTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelayTimer.name);
  private readonly tasks = [
    new PeriodicTask(
      () => this.relayPending(),
      RELAY_INTERVAL_MS,
      (error) => this.logger.warn(`outbox relay: ${error.message}`),
    ),
    new PeriodicTask(
      () => this.followUpPublished(),
      FOLLOW_UP_INTERVAL_MS,
      (error) => this.logger.warn(`outbox follow-up: ${error.message}`),
    ),
    new PeriodicTask(
      () => this.payOwedBumps(),
      OWED_BUMPS_INTERVAL_MS,
      (error) => this.logger.warn(`owed cache bumps: ${error.message}`),
    ),
  ];

  constructor(
    private readonly relay: OutboxRelay,
    private readonly invalidation: CacheInvalidation,
  ) {}

  onApplicationBootstrap(): void {
    for (const task of this.tasks) task.start();
  }

  /** Does not wait for a run in flight: what it has not handed on, the next worker's run will. */
  onModuleDestroy(): void {
    for (const task of this.tasks) void task.stop();
  }

  private async relayPending(): Promise<void> {
    const published = await this.relay.publishPending();
    if (published > 0) this.logger.log(`relayed ${published} outbox job(s)`);
  }

  private async followUpPublished(): Promise<void> {
    const republished = await this.relay.followUpPublished();
    if (republished > 0) this.logger.warn({ jobs: republished }, 'published again outbox jobs that Redis had lost');
  }

  private async payOwedBumps(): Promise<void> {
    const paid = await this.invalidation.payOverdue();
    if (paid > 0) this.logger.warn({ records: paid }, 'paid cache bumps that writers left owing');
  }
}
