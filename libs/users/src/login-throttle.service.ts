import { Injectable, Logger } from '@nestjs/common';

import { RedisService } from '@evently/cache';
import { TooManyRequestsError } from '@evently/common';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_USERNAME = 10;
export const MAX_FAILURES_PER_IP = 100;

/**
 * Refuses (0 and the TTL of the full counter) when either counter is at its limit; otherwise counts the attempt
 * against both (1). Checking and counting in one step is what holds the limit against attempts sent at once.
 * The window starts at a counter's first failure; EXPIRE's NX option would say so more briefly, but Redis 6 lacks it,
 * and a script stopped by that error after its INCR left a counter that never expired. A full counter found without
 * an expiry (one such) gets one, so the lockout it holds ends.
 */
const RESERVE_ATTEMPT = `
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, ARGV[3])
      ttl = tonumber(ARGV[3])
    end
    return {0, ttl}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[3]) end
end
return {1, 0}`;

/** Takes one attempt back from each counter that still holds one, so a counter never goes below 0. */
const RELEASE_ATTEMPT = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end`;

/**
 * Counts failed logins per username and per client IP in Redis, shared by every api process. An attempt counts as
 * a failure from the moment it is let through until it succeeds, so attempts sent at once cannot all pass the check
 * before the first of them fails. If Redis is unreachable the limit is not enforced (logins keep working) and a
 * warning is logged.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);

  constructor(private readonly redis: RedisService) {}

  /**
   * Lets the attempt through, counted as a failure, or refuses it with 429. Returns whether it was counted: it is
   * not when Redis is unreachable.
   */
  async reserveAttempt(username: string, ip: string): Promise<boolean> {
    const keys = this.keys(username, ip);
    let verdict: [number, number];
    try {
      verdict = (await this.redis.client.eval(
        RESERVE_ATTEMPT,
        2,
        keys.user,
        keys.ip,
        MAX_FAILURES_PER_USERNAME,
        MAX_FAILURES_PER_IP,
        WINDOW_SECONDS,
      )) as [number, number];
    } catch (error) {
      this.warn(error as Error);
      return false;
    }
    const [allowed, ttlSeconds] = verdict;
    if (!allowed) this.refuse(ttlSeconds);
    return true;
  }

  /** The attempt was not a failed login after all (the database was down, say): it no longer counts. */
  async releaseAttempt(username: string, ip: string): Promise<void> {
    const keys = this.keys(username, ip);
    await this.redis.client.eval(RELEASE_ATTEMPT, 2, keys.user, keys.ip).catch((error: Error) => this.warn(error));
  }

  /** The username's failures are forgiven; the IP's keep counting, less this attempt. */
  async recordSuccess(username: string, ip: string, counted: boolean): Promise<void> {
    const keys = this.keys(username, ip);
    await this.redis.client.del(keys.user).catch((error: Error) => this.warn(error));
    if (counted) await this.redis.client.eval(RELEASE_ATTEMPT, 1, keys.ip).catch((error: Error) => this.warn(error));
  }

  private warn(error: Error): void {
    this.logger.warn(`login throttle unavailable: ${error.message}`);
  }

  private refuse(ttlSeconds: number): never {
    const retryAfter = ttlSeconds > 0 ? ttlSeconds : WINDOW_SECONDS;
    throw new TooManyRequestsError('Too many failed login attempts. Try again later.', retryAfter);
  }

  private keys(username: string, ip: string) {
    return {
      // Exactly as looked up: usernames differ by case (as Django's do), and a shared counter would let a
      // case variant's successful login forgive the other account's failures.
      user: this.redis.key('login-failures', 'user', username),
      ip: this.redis.key('login-failures', 'ip', ip),
    };
  }
}
