import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

import { PeriodicTask } from '@evently/common';

import { CacheInvalidation } from './cache-invalidation.service';
import { RedisService, withTimeout } from './redis.service';
import { ResponseCache } from './response-cache.service';

const PAY_EVERY_MS = 1000;
/** How long a reconnected process reads around the cache at most, waiting for the owed bumps to be paid. */
const CATCH_UP_BUDGET_MS = 1000;

/**
 * Pays, in every api and worker, the cache bumps writers left owing (killed after their commit, or cut off from
 * Redis), so that no process serves the entries those writes outdated for long:
 * - every second, those overdue (see {@link CacheInvalidation.payOverdue}); where Redis refuses the increments (OOM
 *   under `noeviction`, READONLY after a failover) while it still answers reads, the failed bump makes this process
 *   read around the cache until Redis takes it, so no api goes on serving what only the writer knew was outdated;
 * - on each reconnect, every one, before this process reads the cache again (for at most a second, past which it goes
 *   on and the periodic payments finish the work): a writer cut off by the same blip may still be reconnecting.
 */
@Injectable()
export class OwedBumpKeeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OwedBumpKeeper.name);
  private readonly payments = new PeriodicTask(
    () => this.payOverdue(),
    PAY_EVERY_MS,
    (error) => this.logger.warn(`owed cache bumps: ${error.message}`),
  );

  constructor(
    private readonly invalidation: CacheInvalidation,
    private readonly cache: ResponseCache,
    private readonly redis: RedisService,
  ) {}

  onApplicationBootstrap(): void {
    this.redis.client.on('ready', () => this.cache.catchUp(() => this.payAll()));
    this.payments.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.payments.stop();
  }

  /** Not while Redis is away: the bump would fail at once, and the replay on its return pays what this one owes. */
  private async payOverdue(): Promise<void> {
    if (!this.redis.isReady) return;
    const paid = await this.invalidation.payOverdue();
    if (paid > 0) this.logger.warn({ records: paid }, 'paid cache bumps that writers left owing');
  }

  private async payAll(): Promise<void> {
    try {
      await withTimeout(this.invalidation.payOverdue(0), CATCH_UP_BUDGET_MS);
    } catch (error) {
      this.logger.warn(`owed cache bumps after reconnecting: ${(error as Error).message}`);
    }
  }
}
