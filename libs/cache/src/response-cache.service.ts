import { Cache, CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { cacheKeys } from './cache-keys';
import { RedisService, withTimeout } from './redis.service';

const REDIS_BUDGET_MS = 250;

/**
 * Read-through cache for public reads. Keys embed a version that writers bump after they commit, so an
 * entry computed before a write can never be served after it: caches are invalidated on write, not
 * merely expired. Every Redis failure degrades to a database read. A bump that fails (Redis away) is
 * kept and replayed when Redis is back, and this process reads around the cache until it is; entries
 * are scoped to the Redis run id, so a restart (which may reload a snapshot older than the writes other
 * processes could not bump) starts a fresh cache.
 */
@Injectable()
export class ResponseCache {
  private readonly logger = new Logger(ResponseCache.name);

  private readonly unbumped = new Set<string>();

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly redis: RedisService,
  ) {
    redis.client.on('ready', () => void this.bump([]));
  }

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
    const runId = this.redis.runId;
    if (runId === undefined || this.unbumped.size > 0) return load();
    const version = await this.version(versionKey);
    if (version === undefined) return load();
    return this.getOrLoad(cacheKeys.inEpoch(runId, buildKey(version)), ttlMs, load);
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
    const keys = new Set([...this.unbumped, ...versionKeys]);
    if (keys.size === 0) return;
    const pipeline = this.redis.client.multi();
    for (const key of keys) pipeline.incr(this.redis.key(key));
    if (await this.attempt(() => pipeline.exec())) this.unbumped.clear();
    else for (const key of keys) this.unbumped.add(key);
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
