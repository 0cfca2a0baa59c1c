import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

import { describeError } from '@evently/common';
import { AppConfig } from '@evently/config';

/** BullMQ cannot work for a Redis user refused INFO, and its workers spin instead of saying so: say so, and stop. */
export async function assertRedisRunsInfo(config: AppConfig): Promise<void> {
  const { refusal, unreachable } = await redisInfoCheck(config.redisUrl);
  if (unreachable) {
    new Logger('Queue').warn(
      `Redis cannot be reached (${unreachable}); the worker starts, and takes jobs once it answers (REDIS_URL)`,
    );
  }
  if (refusal) {
    throw new Error(
      `Redis refuses INFO to REDIS_URL's user (${refusal}); BullMQ runs it on every connection: grant it ` +
        `(ACL SETUSER <user> +info)`,
    );
  }
}

/**
 * Redis's refusal of `INFO` to this user (an ACL preset without `@dangerous`): BullMQ runs it on every connection,
 * and a worker refused it spun its event loop at full CPU, deaf even to SIGTERM, processing nothing. A Redis that
 * cannot be reached is no refusal: the worker waits for it, as it always has, and says so.
 */
async function redisInfoCheck(redisUrl: string): Promise<{ refusal?: string; unreachable?: string }> {
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
    return {};
  } catch (error) {
    const message = describeError(error);
    return /NOPERM/.test(message) ? { refusal: message } : { unreachable: message };
  } finally {
    client.disconnect();
  }
}
