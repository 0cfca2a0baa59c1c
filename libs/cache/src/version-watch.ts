import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

import { RedisService } from './redis.service';

const INVALIDATIONS = '__redis__:invalidate';

/**
 * The cache versions this process may trust without asking Redis. Redis tells it of every change to a version key
 * on a connection of its own (client-side caching in broadcast mode: `CLIENT TRACKING … BCAST PREFIX`, redirected to
 * that connection's subscription, as RESP2 needs), and a version read from Redis stays trusted until such a message,
 * or a bump by this process, names it. While that connection is not known to be up, nothing is trusted.
 *
 * A read races the messages: Redis may announce a change after a read of the old value has left Redis but before
 * its reply is handled. Callers therefore take a {@link mark} before reading and {@link learn} with it, which
 * trusts the value only if no change was announced in between.
 */
@Injectable()
export class VersionWatch implements OnApplicationShutdown {
  private readonly logger = new Logger(VersionWatch.name);
  private connection?: Redis;
  private live = false;
  private generation = 0;
  private readonly trustedStamps = new Map<string, string>();

  constructor(private readonly redis: RedisService) {}

  /**
   * The stamp last learned for the version, if it is still current as far as this process has been told. Version
   * keys here are Redis keys, prefix included, as Redis names them in its messages.
   */
  trusted(versionKey: string): string | undefined {
    return this.live ? this.trustedStamps.get(versionKey) : undefined;
  }

  /** Call before reading a version from Redis; pass the mark to {@link learn}. Starts watching on first use. */
  mark(): number {
    if (!this.connection) this.watch();
    return this.generation;
  }

  /** {@link trusted}, and only if no change was announced since `mark`: what a computation begun then was current under. */
  trustedSince(versionKey: string, mark: number): string | undefined {
    return mark === this.generation ? this.trusted(versionKey) : undefined;
  }

  /** Trusts the stamp read after `mark`, unless the watch was down or a change was announced since. */
  learn(versionKey: string, stamp: string, mark: number): boolean {
    if (!this.live || mark !== this.generation) return false;
    this.trustedStamps.set(versionKey, stamp);
    return true;
  }

  /** For this process's own bumps, before and after they reach Redis, so it never waits for its own message. */
  forget(versionKeys: Iterable<string>): void {
    this.generation += 1;
    for (const key of versionKeys) this.trustedStamps.delete(key);
  }

  async onApplicationShutdown(): Promise<void> {
    this.connection?.disconnect();
  }

  private watch(): void {
    const connection = this.redis.client.duplicate({
      enableAutoPipelining: false,
      enableOfflineQueue: true,
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
    });
    this.connection = connection;
    connection.on('error', (error) => this.logger.debug(`redis: ${error.message}`));
    connection.on('ready', () => void this.subscribe(connection));
    connection.on('close', () => this.distrust());
    connection.on('messageBuffer', (channel: Buffer, keys: Buffer[] | null) => {
      if (channel.toString() !== INVALIDATIONS) return;
      if (keys === null)
        this.distrust(this.live); // FLUSHDB or FLUSHALL: every version is gone
      else this.forget(keys.map(String));
    });
  }

  private async subscribe(connection: Redis): Promise<void> {
    try {
      const id = await connection.client('ID');
      await connection.client('TRACKING', 'ON', 'REDIRECT', id, 'BCAST', 'PREFIX', this.redis.key('version:'));
      await connection.subscribe(INVALIDATIONS);
      this.distrust(true);
    } catch (error) {
      this.logger.warn(`cache versions are not watched, every read asks Redis: ${(error as Error).message}`);
    }
  }

  private distrust(live = false): void {
    this.live = live;
    this.generation += 1;
    this.trustedStamps.clear();
  }
}
