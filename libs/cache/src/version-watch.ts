import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

import { VERSION_KEYS_PREFIX } from './cache-keys';
import { RedisService, withTimeout } from './redis.service';

const INVALIDATIONS = '__redis__:invalidate';
/** A barrier that Redis does not answer within this is refused, and the read asks Redis itself, as a cache read would. */
const BARRIER_BUDGET_MS = 250;
/** Versions trusted at once; past this all are forgotten (trust is only ever an optimisation). */
const MAX_TRUSTED = 50_000;

/**
 * The cache versions this process may trust without asking Redis. Redis tells it of every change to a version key
 * on a connection of its own (client-side caching in broadcast mode: `CLIENT TRACKING … BCAST PREFIX`, redirected to
 * that connection's subscription, as RESP2 needs), and a version read from Redis stays trusted until such a message,
 * or a bump by this process, names it. While that connection is not known to be up, nothing is trusted.
 *
 * What is trusted is a token: the version's stamp together with the watch's epoch, which moves whenever the watch
 * may have missed a message (its connection closed, Redis flushed). A version that goes back to an old value after
 * a restart from a snapshot or a flush therefore never matches what was kept under it before.
 *
 * Two races are closed here. A read may leave Redis before a change and be handled after its message: callers take
 * a {@link mark} before reading and {@link learn} with it, which trusts nothing if a change was announced in between.
 * And a message may still be on its way when a request arrives that must see it (the writer answered, its client
 * asked again): {@link barrier} resolves once a PING sent after the call has been answered on the watch's
 * connection, which Redis answers only after every message it queued before it.
 */
@Injectable()
export class VersionWatch implements OnApplicationShutdown {
  private readonly logger = new Logger(VersionWatch.name);
  private connection?: Redis;
  private live = false;
  private serverRunId?: string;
  private epoch = 0;
  private generation = 0;
  private readonly trustedTokens = new Map<string, string>();
  private nextBarrier?: Promise<boolean>;

  constructor(private readonly redis: RedisService) {}

  /**
   * The token last learned for the version, if it is still current as far as this process has been told. Version
   * keys here are Redis keys, prefix included, as Redis names them in its messages. Call {@link barrier} first when
   * the answer must reflect every write that completed before the request arrived.
   */
  trusted(versionKey: string): string | undefined {
    return this.isWatching() ? this.trustedTokens.get(versionKey) : undefined;
  }

  /** {@link trusted}, and only if no change was announced since `mark`. */
  trustedSince(versionKey: string, mark: number): string | undefined {
    return mark === this.generation ? this.trusted(versionKey) : undefined;
  }

  /** Call before reading a version from Redis; pass the mark to {@link learn}. Starts watching on first use. */
  mark(): number {
    if (!this.connection) this.watch();
    return this.generation;
  }

  /** Trusts the stamp read after `mark` and returns its token, unless the watch was down or a change was announced since. */
  learn(versionKey: string, stamp: string, mark: number): string | undefined {
    if (!this.isWatching() || mark !== this.generation) return undefined;
    if (this.trustedTokens.size >= MAX_TRUSTED) this.trustedTokens.clear();
    const token = `${this.epoch}:${stamp}`;
    this.trustedTokens.set(versionKey, token);
    return token;
  }

  /** Trusts no version until learned again: for when this process may have missed changes it cannot name. */
  forgetAll(): void {
    this.generation += 1;
    this.trustedTokens.clear();
  }

  /** For this process's own bumps, before and after they reach Redis, so it never waits for its own message. */
  forget(versionKeys: Iterable<string>): void {
    this.generation += 1;
    for (const key of versionKeys) this.trustedTokens.delete(key);
  }

  /**
   * Resolves true once every change Redis announced before this call has been handled (a PING sent after it was
   * answered on the watch's connection), false if the watch is down or Redis did not answer in time. One PING per
   * turn of the event loop serves every request that asked during it.
   */
  barrier(): Promise<boolean> {
    if (!this.isWatching()) return Promise.resolve(false);
    this.nextBarrier ??= new Promise((resolve) =>
      setImmediate(() => {
        this.nextBarrier = undefined;
        resolve(this.ping());
      }),
    );
    return this.nextBarrier;
  }

  async onApplicationShutdown(): Promise<void> {
    this.connection?.disconnect();
  }

  private isWatching(): boolean {
    return this.live && this.serverRunId === this.redis.runId;
  }

  private async ping(): Promise<boolean> {
    const epoch = this.epoch;
    try {
      await withTimeout(this.connection!.ping(), BARRIER_BUDGET_MS);
      return epoch === this.epoch && this.isWatching();
    } catch {
      return false;
    }
  }

  private watch(): void {
    const connection = this.redis.client.duplicate({
      connectionName: this.redis.key('version-watch', process.pid),
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      // A command resent on a new connection (SUBSCRIBE, a TRACKING naming the old id) would leave it half set up.
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 1,
      commandTimeout: undefined,
    });
    this.connection = connection;
    connection.on('error', (error) => this.logger.debug(`redis: ${error.message}`));
    connection.on('ready', () => void this.subscribe(connection));
    connection.on('close', () => this.distrust(false));
    connection.on('messageBuffer', (channel: Buffer, keys: Buffer[] | null) => {
      if (channel.toString() !== INVALIDATIONS) return;
      // null: FLUSHDB or FLUSHALL, every version is gone.
      if (keys === null) this.distrust(this.live);
      else this.forget(keys.map(String));
    });
  }

  private async subscribe(connection: Redis): Promise<void> {
    const epoch = this.epoch;
    try {
      const serverRunId = /run_id:(\w+)/.exec(await connection.info('server'))?.[1];
      const id = await connection.client('ID');
      await connection.client('TRACKING', 'ON', 'REDIRECT', id, 'BCAST', 'PREFIX', this.redis.key(VERSION_KEYS_PREFIX));
      await connection.subscribe(INVALIDATIONS);
      if (epoch !== this.epoch) return; // the connection closed meanwhile: its 'ready' starts over
      this.serverRunId = serverRunId;
      this.distrust(true);
    } catch (error) {
      if (epoch !== this.epoch) return;
      this.logger.warn(`cache versions are not watched, every read asks Redis: ${(error as Error).message}`);
    }
  }

  private distrust(live: boolean): void {
    this.live = live;
    this.epoch += 1;
    this.forgetAll();
  }
}
