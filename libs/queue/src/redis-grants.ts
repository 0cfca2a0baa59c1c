import { Redis } from 'ioredis';

import { describeError } from '@evently/common';
import { AppConfig } from '@evently/config';

/** BullMQ cannot work for a Redis user refused INFO, and its workers spin instead of saying so: say so, and stop. */
export async function assertRedisRunsInfo(config: AppConfig): Promise<void> {
  const refusal = await redisInfoRefusal(config.redisUrl);
  if (refusal) {
    throw new Error(
      `Redis refuses INFO to REDIS_URL's user (${refusal}); BullMQ runs it on every connection: grant it ` +
        `(ACL SETUSER <user> +info)`,
    );
  }
}

/**
 * Redis's refusal of `INFO` to this user (an ACL preset without `@dangerous`), or undefined: BullMQ runs it on every
 * connection, and a worker refused it spun its event loop at full CPU, deaf even to SIGTERM, processing nothing. A
 * Redis that cannot be reached is no refusal: the worker waits for it, as it always has.
 */
async function redisInfoRefusal(redisUrl: string): Promise<string | undefined> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.info('server');
    return undefined;
  } catch (error) {
    const message = describeError(error);
    return /NOPERM/.test(message) ? message : undefined;
  } finally {
    client.disconnect();
  }
}
