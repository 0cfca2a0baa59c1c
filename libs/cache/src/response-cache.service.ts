import { Cache, CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { cacheKeys } from './cache-keys';
import { RedisService, withTimeout } from './redis.service';

const REDIS_BUDGET_MS = 250;

/**
 * Read-through cache for public reads. Keys embed a version that writers bump after they commit, so an
 * entry computed before a write can never be served after it: caches are invalidated on write, not
 * merely expired. Every Redis failure degrades to a database read.
 */
@Injectable()
export class ResponseCache {
  private readonly logger = new Logger(ResponseCache.name);

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly redis: RedisService,
  ) {}

  async getOrLoad<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const cached = await this.attempt(() => this.cache.get<T>(key));
    if (cached !== undefined && cached !== null) return cached;
    const value = await load();
    void this.attempt(() => this.cache.set(key, value, ttlMs));
    return value;
  }

  /** The current value of a version counter, or undefined when Redis cannot answer (then skip the cache). */
  async version(versionKey: string): Promise<number | undefined> {
    const value = await this.attempt(() => this.redis.client.get(this.redis.key(versionKey)));
    if (value === undefined) return undefined;
    return Number(value ?? 0);
  }

  /** Reads through the cache under a versioned key, or straight from the database when Redis is away. */
  async getVersioned<T>(
    versionKey: string,
    buildKey: (version: number) => string,
    ttlMs: number,
    load: () => Promise<T>,
  ): Promise<T> {
    const version = await this.version(versionKey);
    if (version === undefined) return load();
    return this.getOrLoad(buildKey(version), ttlMs, load);
  }

  /** Call after the write committed: bumps the versions so no reader sees the old entries again. */
  async invalidateEvents(eventIds: string[]): Promise<void> {
    const keys = [cacheKeys.catalogVersion(), cacheKeys.analyticsVersion(), ...eventIds.map(cacheKeys.eventVersion)];
    await this.bump(keys);
  }

  async invalidateUser(userId: number): Promise<void> {
    await this.bump([cacheKeys.userVersion(userId)]);
  }

  private async bump(versionKeys: string[]): Promise<void> {
    const pipeline = this.redis.client.multi();
    for (const key of new Set(versionKeys)) pipeline.incr(this.redis.key(key));
    await this.attempt(() => pipeline.exec());
  }

  private async attempt<T>(operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await withTimeout(operation(), REDIS_BUDGET_MS);
    } catch (error) {
      this.logger.warn(`cache unavailable, using the database: ${(error as Error).message}`);
      return undefined;
    }
  }
}
