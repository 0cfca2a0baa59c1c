import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { CACHE_TTL_MS, CacheInvalidation, cacheKeys } from '@evently/cache';
import { PeriodicTask } from '@evently/common';

const CHECK_EVERY_MS = 1000;

/**
 * The public list leaves out events that have started (`upcoming_only`, its default), but no write marks the moment
 * an event starts: without this, a cached list went on showing one for as long as the entry lived (5 minutes). Every
 * second it asks whether an event started since the last look, on the database's clock, and if one did, outdates
 * every list. Every worker runs it; a second bump for the same start costs one more cache miss per list. The first
 * look goes back a list's lifetime, to the entries cached before this worker started.
 */
@Injectable()
export class StartedEventsWatch implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StartedEventsWatch.name);
  private lookedUntil: Date | null = null;
  private readonly looks = new PeriodicTask(
    () => this.look(),
    CHECK_EVERY_MS,
    (error) => this.logger.warn(`checking for events that started: ${error.message}`),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invalidation: CacheInvalidation,
  ) {}

  onApplicationBootstrap(): void {
    this.looks.start({ now: true });
  }

  async onModuleDestroy(): Promise<void> {
    await this.looks.stop();
  }

  /** A bump Redis refuses is owed, as a write's is: every process reads around the cache until it is paid. */
  async look(): Promise<void> {
    const [{ now, started }]: { now: Date; started: boolean }[] = await this.dataSource.query(
      `SELECT now() AS now, EXISTS (
         SELECT 1 FROM events
          WHERE time > COALESCE($1, now() - make_interval(secs => $2)) AND time <= now()
            AND is_active AND deleted_at IS NULL) AS started`,
      [this.lookedUntil, CACHE_TTL_MS.eventList / 1000],
    );
    if (started) await this.invalidation.outdate([cacheKeys.catalogVersion()]);
    this.lookedUntil = now;
  }
}
