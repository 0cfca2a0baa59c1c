import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

import { AppConfig } from '@evently/config';

const RUN_ID_RETRY_MS = 1000;

/**
 * The shared ioredis connection for counters and cache versions. It fails fast while Redis is down
 * (no offline queue) so callers can fall back instead of hanging.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  private currentRunId?: string;

  constructor(private readonly config: AppConfig) {
    this.client = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // A Redis that hangs (connected, not answering) must fail callers within seconds, like one that is down
      // (auto-pipelined commands queue behind the pipeline in flight, so a caller may wait about twice this).
      commandTimeout: 1000,
      lazyConnect: false,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', (error) => this.logger.debug(`redis: ${error.message}`));
    this.client.on('ready', () => void this.readRunId());
    this.client.on('close', () => (this.currentRunId = undefined));
  }

  /**
   * The Redis server's run id: it changes on every restart, even one that reloads a snapshot holding
   * versions older than writes made while it was down. Undefined until known on this connection.
   */
  get runId(): string | undefined {
    return this.currentRunId;
  }

  /** Prefixes a key with this deployment's `REDIS_PREFIX`, so several deployments (or test runs) share one Redis. */
  key(...parts: (string | number)[]): string {
    return [this.config.redisPrefix, ...parts].join(':');
  }

  get isReady(): boolean {
    return this.client.status === 'ready';
  }

  async ping(): Promise<boolean> {
    try {
      return (await withTimeout(this.client.ping(), 1000)) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Retried while connected: one lost answer (a timeout) must not keep the cache off until the next reconnect. */
  private async readRunId(): Promise<void> {
    try {
      this.currentRunId = /run_id:(\w+)/.exec(await this.client.info('server'))?.[1];
    } catch (error) {
      this.logger.warn(`redis run id unknown, the cache stays off until it is read: ${(error as Error).message}`);
      setTimeout(() => {
        if (this.client.status === 'ready' && this.currentRunId === undefined) void this.readRunId();
      }, RUN_ID_RETRY_MS).unref();
    }
  }

  /** Closed last, after the work that runs during shutdown (requests, jobs) has bumped its cache versions. */
  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
