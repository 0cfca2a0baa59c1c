import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

import { PeriodicTask } from '@evently/common';
import { OutboxRelay } from '@evently/queue';

const RELAY_INTERVAL_MS = 2000;
const FOLLOW_UP_INTERVAL_MS = 15_000;

/**
 * Hands on the outbox jobs writers recorded in their transactions but could not hand on themselves (killed after the
 * commit, or cut off from Redis) to BullMQ, and follows published jobs until BullMQ has finished them, publishing
 * again those that Redis lost. (Owed cache bumps are the OwedBumpKeeper's, in every process.)
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
  ];

  constructor(private readonly relay: OutboxRelay) {}

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
}
