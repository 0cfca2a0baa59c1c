import { Injectable, Logger } from '@nestjs/common';

import { RedisService } from '@evently/cache';
import { TooManyRequestsError } from '@evently/common';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_USERNAME = 10;
export const MAX_FAILURES_PER_IP = 100;

/**
 * Counts failed logins per username and per client IP in Redis, shared by every api process.
 * If Redis is unreachable the limit is not enforced (logins keep working) and a warning is logged.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);

  constructor(private readonly redis: RedisService) {}

  async assertAllowed(username: string, ip: string): Promise<void> {
    const keys = this.keys(username, ip);
    try {
      const [[, userCount], [, userTtl], [, ipCount], [, ipTtl]] = (await this.redis.client
        .multi()
        .get(keys.user)
        .ttl(keys.user)
        .get(keys.ip)
        .ttl(keys.ip)
        .exec()) as [unknown, string | number | null][];
      if (Number(userCount ?? 0) >= MAX_FAILURES_PER_USERNAME) this.refuse(Number(userTtl));
      if (Number(ipCount ?? 0) >= MAX_FAILURES_PER_IP) this.refuse(Number(ipTtl));
    } catch (error) {
      if (error instanceof TooManyRequestsError) throw error;
      this.logger.warn(`login throttle unavailable: ${(error as Error).message}`);
    }
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    const keys = this.keys(username, ip);
    try {
      await this.redis.client
        .multi()
        .incr(keys.user)
        .expire(keys.user, WINDOW_SECONDS, 'NX')
        .incr(keys.ip)
        .expire(keys.ip, WINDOW_SECONDS, 'NX')
        .exec();
    } catch (error) {
      this.logger.warn(`login throttle unavailable: ${(error as Error).message}`);
    }
  }

  async recordSuccess(username: string, ip: string): Promise<void> {
    await this.redis.client.del(this.keys(username, ip).user).catch(() => undefined);
  }

  private refuse(ttlSeconds: number): never {
    const retryAfter = ttlSeconds > 0 ? ttlSeconds : WINDOW_SECONDS;
    throw new TooManyRequestsError('Too many failed login attempts. Try again later.', retryAfter);
  }

  private keys(username: string, ip: string) {
    return {
      user: this.redis.key('login-failures', 'user', username.toLowerCase()),
      ip: this.redis.key('login-failures', 'ip', ip),
    };
  }
}
