import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import ipaddr from 'ipaddr.js';

import { RedisService } from '@evently/cache';
import { TooManyRequestsError } from '@evently/common';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_USERNAME = 10;
export const MAX_FAILURES_PER_IP = 100;

/**
 * Refuses (0 and the milliseconds until enough counted failures leave the window to let one more in) when either
 * log is at its limit; otherwise logs the attempt in both (1). Checking and logging in one step is what holds the
 * limit against attempts sent at once. A log is a sorted set of failures scored by when they happened, on the Redis
 * clock so every api process agrees, each under its own member so failures in the same millisecond all count. A
 * failure leaves the window 15 minutes after it happened, so the window slides instead of starting afresh; a log
 * expires a window after its newest failure, when none of it counts any more.
 */
const RESERVE_ATTEMPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[3])
local retryAfter = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local excess = redis.call('ZCARD', key) - tonumber(ARGV[i])
  if excess >= 0 then
    local leavingLast = redis.call('ZRANGE', key, excess, excess, 'WITHSCORES')
    retryAfter = math.max(retryAfter, tonumber(leavingLast[2]) + window - now)
  end
end
if retryAfter > 0 then return {0, retryAfter} end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
end
return {1, 0}`;

/** Takes the newest failure back from each log: attempts in flight at once are alike, whichever of them it was. */
const RELEASE_ATTEMPT = `
for _, key in ipairs(KEYS) do redis.call('ZPOPMAX', key) end`;

/**
 * Counts failed logins per username and per client IP in Redis, shared by every api process, over the last 15
 * minutes. An attempt counts as a failure from the moment it is let through until it succeeds, so attempts sent at
 * once cannot all pass the check before the first of them fails. If Redis is unreachable the limit is not enforced
 * (logins keep working) and a warning is logged.
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
        WINDOW_SECONDS * 1000,
        randomUUID(),
      )) as [number, number];
    } catch (error) {
      this.warn(error as Error);
      return false;
    }
    const [allowed, retryAfterMs] = verdict;
    if (!allowed) this.refuse(retryAfterMs);
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

  private refuse(retryAfterMs: number): never {
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new TooManyRequestsError('Too many failed login attempts. Try again later.', retryAfter);
  }

  private keys(username: string, ip: string) {
    // Not the 'login-failures' of the fixed-window counters this replaced: those are strings, and may outlive an
    // upgrade by up to 15 minutes, where a sorted-set command on one would fail and so skip the limit.
    return {
      // Exactly as looked up: usernames differ by case (as Django's do), and a shared counter would let a
      // case variant's successful login forgive the other account's failures.
      user: this.redis.key('login-failure-times', 'user', username),
      ip: this.redis.key('login-failure-times', 'ip', ipLimitScope(ip)),
    };
  }
}

/**
 * What the per-IP limit counts by: an IPv4 address (an IPv4-mapped IPv6 one in its IPv4 form), or an IPv6 address's
 * /64, because a single client is routinely handed a whole /64 and could otherwise guess from a fresh address each
 * time. Anything else is counted as it is written.
 */
export function ipLimitScope(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address instanceof ipaddr.IPv4) return address.toString();
  return `${address.parts
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
