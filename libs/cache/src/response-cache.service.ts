import { Injectable, Logger } from '@nestjs/common';

import { cacheKeys } from './cache-keys';
import { NearCache } from './near-cache';
import { RedisService, withTimeout } from './redis.service';
import { SecondRequestAdmission } from './second-request-admission';
import { VersionWatch } from './version-watch';

const REDIS_BUDGET_MS = 250;
/** How often failed version bumps are retried while Redis answers with errors but stays connected. */
const REPLAY_EVERY_MS = 1000;

/**
 * Read-through cache for public reads, holding JSON text so a hit is served without a parse. Each entry
 * records the version (of the catalogue, an event…) it was computed under and is served only while that
 * version is current; writers bump versions after they commit, so an entry computed before a write can
 * never be served after it: caches are invalidated on write, not merely expired. A hit is one Redis round
 * trip (MGET of the version and the entry), or none while the entry is in the process's {@link NearCache}, whose
 * versions Redis keeps current (the {@link VersionWatch}). Every Redis failure degrades to a database read. A bump that
 * fails (Redis away) is kept and replayed when Redis is back, and this process reads around the cache until
 * it is; entries are scoped to the Redis run id, so a restart (which may reload a snapshot older than the
 * writes other processes could not bump) starts a fresh cache.
 */
@Injectable()
export class ResponseCache {
  private readonly logger = new Logger(ResponseCache.name);

  private readonly unbumped = new Set<string>();
  /** Catch-ups in flight after a reconnect: until they end, reads go around the cache. */
  private catchingUp = 0;
  private readonly loading = new Map<string, Promise<string>>();
  private replayTimer?: NodeJS.Timeout;
  private readonly near: NearCache;

  constructor(
    private readonly redis: RedisService,
    private readonly watch: VersionWatch,
  ) {
    this.near = new NearCache(watch);
    redis.client.on('ready', () => void this.bump([]));
  }

  /**
   * `load()`'s value as JSON text, from the cache while `versionKey` has not moved since it was stored. With an
   * `admission`, only the keys it admits are read from and stored in the cache; any other is loaded directly, as
   * it is rarely there (only another process, or this one before the key left the admission's window, could have
   * stored it), and a Redis round trip per one-off search cost more than the rare hit it found.
   */
  async json(
    versionKey: string,
    key: string,
    ttlMs: number,
    load: () => Promise<unknown>,
    admission?: SecondRequestAdmission,
  ): Promise<string> {
    const runId = this.redis.runId;
    if (runId === undefined || this.unbumped.size > 0 || this.catchingUp > 0) return JSON.stringify(await load());
    const entryKey = this.redis.key(cacheKeys.entry(runId, key));
    if (admission?.admits(key) === false) return this.loadUnadmitted(versionKey, entryKey, load);
    const redisVersionKey = this.redis.key(versionKey);
    const near = await this.near.read(entryKey, redisVersionKey);
    if (near !== undefined) return near;
    const mark = this.watch.mark();
    const read = await this.readEntry(versionKey, entryKey);
    if (read === undefined) return JSON.stringify(await load());
    const keep = (text: string) => {
      const token = this.watch.learn(redisVersionKey, read.stamp, mark);
      if (token !== undefined) this.near.keep(entryKey, redisVersionKey, token, text);
    };
    if (read.entry !== undefined) {
      keep(read.entry);
      return read.entry;
    }
    return this.loadOnce(`${entryKey}\n${read.stamp}`, async () => {
      const text = JSON.stringify(await load());
      void this.attempt(() => this.redis.client.set(entryKey, read.stamp + text, 'PX', ttlMs));
      keep(text);
      return text;
    });
  }

  /**
   * The version to stamp a load with, and the entry if it was stored under that version; undefined when Redis
   * fails. The version is read before the database, so a write racing a load bumps past the stamp.
   */
  private async readEntry(
    versionKey: string,
    entryKey: string,
  ): Promise<{ stamp: string; entry?: string } | undefined> {
    const read = await this.attempt(() => this.redis.client.mget(this.redis.key(versionKey), entryKey));
    if (read === undefined) return undefined;
    const [version, entry] = read;
    const stamp = `${version ?? 0}\n`;
    return { stamp, entry: entry?.startsWith(stamp) ? entry.slice(stamp.length) : undefined };
  }

  /** From the database; from the cache only when the database fails and a current entry is there (an outage). */
  private async loadUnadmitted(versionKey: string, entryKey: string, load: () => Promise<unknown>): Promise<string> {
    try {
      return JSON.stringify(await load());
    } catch (error) {
      const cached = (await this.readEntry(versionKey, entryKey))?.entry;
      if (cached === undefined) throw error;
      return cached;
    }
  }

  /**
   * Misses of one entry under one version share a single load: a popular entry that expires, or a version
   * bump, costs the database one query per process, not one per waiting request. A load shared this way
   * began after its version was read, hence after every write that version reflects.
   */
  private loadOnce(flightKey: string, load: () => Promise<string>): Promise<string> {
    const inFlight = this.loading.get(flightKey);
    if (inFlight) return inFlight;
    const loading = load().finally(() => this.loading.delete(flightKey));
    this.loading.set(flightKey, loading);
    return loading;
  }

  /**
   * Reads go around the cache while `work` runs, and no version is trusted from memory (the near caches and the
   * answer replay) until read again: for what must happen before this process trusts the cache again (paying other
   * writers' owed bumps after a reconnect).
   */
  catchUp(work: () => Promise<void>): void {
    this.catchingUp += 1;
    this.watch.forgetAll();
    void work().finally(() => (this.catchingUp -= 1));
  }

  /** {@link json}, parsed: for answers that are reshaped after the cache. */
  async read<T>(versionKey: string, key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    return JSON.parse(await this.json(versionKey, key, ttlMs, load)) as T;
  }

  /**
   * Increments the version keys (with any this process still owes), after the write committed; true once Redis has
   * taken them all. A failure is kept and replayed, and this process reads around the cache until then.
   */
  async bump(versionKeys: string[]): Promise<boolean> {
    const keys = new Set([...this.unbumped, ...versionKeys]);
    if (keys.size === 0) return true;
    const redisKeys = [...keys].map((key) => this.redis.key(key));
    this.watch.forget(redisKeys);
    const pipeline = this.redis.client.multi();
    for (const key of redisKeys) pipeline.incr(key);
    const replies = await this.attempt(() => pipeline.exec());
    // Reads that left before the increments could still learn the old versions; Redis's message may come later.
    this.watch.forget(redisKeys);
    if (replies?.every(([error]) => !error)) {
      for (const key of keys) this.unbumped.delete(key);
      return true;
    }
    for (const key of keys) this.unbumped.add(key);
    this.scheduleReplay();
    return false;
  }

  /** Besides each reconnect: an error reply (OOM, READONLY after a failover) fails a bump without a reconnect. */
  private scheduleReplay(): void {
    if (this.replayTimer) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.bump([]);
    }, REPLAY_EVERY_MS).unref();
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
