import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger } from '@nestjs/common';
import ipaddr from 'ipaddr.js';

import { RedisService } from '@evently/cache';
import { TooManyRequestsError } from '@evently/common';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_USERNAME = 10;
export const MAX_FAILURES_PER_IP = 100;
/**
 * An attempt still in flight after this long belongs to a process that died mid-check, and no longer holds a place.
 * As long as a failure counts: a check queued longer (argon2 behind a flood of logins) must not give up its place
 * to another guess before it fails.
 */
const IN_FLIGHT_STALE_MS = WINDOW_SECONDS * 1000;
/** How long an attempt waits for a place among a username's or IP's attempts in flight before it is refused. */
const WAIT_LIMIT_MS = 10_000;
const FIRST_PAUSE_MS = 20;
const LONGEST_PAUSE_MS = 100;
/** Attempts waiting for a place in one process; beyond, they are refused at once rather than held open. */
const MAX_WAITING = 500;

const ALLOWED = 1;
const REFUSED = 0;
const BUSY = 2;

/**
 * For each of a username and a client IP: refuses (0 and the milliseconds until enough failures leave the window to
 * let one more in) when its failures reach its limit; answers busy (2) when its failures and the attempts in flight
 * together fill it; otherwise records the attempt as in flight under both (1). Deciding and recording in one step is
 * what holds the limit against attempts sent at once: no more attempts are checked than failures could still count.
 * A failure log is a sorted set scored by when each failure happened, on the Redis clock so every api process agrees,
 * each under its own member so failures in the same millisecond all count; a failure leaves the window 15 minutes
 * after it happened, so the window slides instead of starting afresh, and a log expires a window after its newest
 * failure. KEYS: the username's failure log and in-flight set, then the IP's.
 */
const RESERVE_ATTEMPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[3])
local stale = tonumber(ARGV[5])
local retryAfter = 0
local busy = false
for i = 1, 2 do
  local failures, inFlight, limit = KEYS[2 * i - 1], KEYS[2 * i], tonumber(ARGV[i])
  redis.call('ZREMRANGEBYSCORE', failures, '-inf', now - window)
  redis.call('ZREMRANGEBYSCORE', inFlight, '-inf', now - stale)
  local failed = redis.call('ZCARD', failures)
  if failed >= limit then
    local leavingLast = redis.call('ZRANGE', failures, failed - limit, failed - limit, 'WITHSCORES')
    retryAfter = math.max(retryAfter, tonumber(leavingLast[2]) + window - now)
  elseif failed + redis.call('ZCARD', inFlight) >= limit then
    busy = true
  end
end
if retryAfter > 0 then return {${REFUSED}, retryAfter} end
if busy then return {${BUSY}, 0} end
for i = 1, 2 do
  redis.call('ZADD', KEYS[2 * i], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[2 * i], stale)
end
return {${ALLOWED}, 0}`;

/** The attempt failed: it leaves the in-flight sets and counts as a failure of both the username and the IP. */
const RECORD_FAILURE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 1, 2 do
  redis.call('ZREM', KEYS[2 * i], ARGV[1])
  redis.call('ZADD', KEYS[2 * i - 1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[2])
end`;

/** The attempt leaves the in-flight sets without counting; a success also forgives the username's failures. */
const FINISH_ATTEMPT = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end`;

/** An attempt under its own member in the Redis sets of {@link LoginThrottle.keys}. */
interface ReservedAttempt {
  member: string;
  keys: string[];
}

/** An attempt let through the limit; null where Redis could not be asked (the limit is then not enforced). */
export type LoginAttempt = ReservedAttempt | null;

/**
 * Counts failed logins per username and per client IP in Redis, shared by every api process, over the last 15
 * minutes. Only failures count toward a limit, but attempts in flight hold places beside them, so attempts sent at
 * once get no more password checks than the failures still allowed: those beyond wait for places (correct logins
 * behind one NAT as a sale opens all get in) and are refused only once enough of those ahead have failed. If Redis is
 * unreachable the limit is not enforced (logins keep working) and a warning is logged.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);
  private waiting = 0;

  constructor(private readonly redis: RedisService) {}

  /** Lets the attempt through once it has a place, or refuses it with 429. */
  async reserveAttempt(username: string, ip: string): Promise<LoginAttempt> {
    const attempt = { member: randomUUID(), keys: this.keys(username, ip) };
    const deadline = Date.now() + WAIT_LIMIT_MS;
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      const verdict = await this.tryReserve(attempt);
      if (!verdict) return null;
      const [outcome, retryAfterMs] = verdict;
      if (outcome === ALLOWED) return attempt;
      if (outcome === REFUSED) this.refuse(retryAfterMs);
      await this.waitForPlace(pause, deadline);
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  }

  /** The password check failed: the attempt counts against the username and the IP. */
  async recordFailure(attempt: LoginAttempt): Promise<void> {
    if (!attempt) return;
    await this.redis.client
      .eval(RECORD_FAILURE, 4, ...attempt.keys, attempt.member, WINDOW_SECONDS * 1000)
      .catch((error: Error) => this.warn(error));
  }

  /** The login succeeded: the username's failures are forgiven; the IP's keep counting. */
  recordSuccess(attempt: LoginAttempt): Promise<void> {
    return this.finish(attempt, true);
  }

  /** The attempt was not a failed login after all (the database was down, say): it does not count. */
  release(attempt: LoginAttempt): Promise<void> {
    return this.finish(attempt, false);
  }

  private async tryReserve(attempt: ReservedAttempt): Promise<[number, number] | null> {
    try {
      return (await this.redis.client.eval(
        RESERVE_ATTEMPT,
        4,
        ...attempt.keys,
        MAX_FAILURES_PER_USERNAME,
        MAX_FAILURES_PER_IP,
        WINDOW_SECONDS * 1000,
        attempt.member,
        IN_FLIGHT_STALE_MS,
      )) as [number, number];
    } catch (error) {
      this.warn(error as Error);
      // A reply that timed out may still come from a script that ran and took a place: give it back after it.
      void this.release(attempt);
      return null;
    }
  }

  private async waitForPlace(pause: number, deadline: number): Promise<void> {
    if (Date.now() + pause > deadline || this.waiting >= MAX_WAITING) {
      throw new TooManyRequestsError('Too many logins in progress for this account or address. Try again.', 1);
    }
    this.waiting++;
    try {
      await sleep(pause);
    } finally {
      this.waiting--;
    }
  }

  private async finish(attempt: LoginAttempt, forgive: boolean): Promise<void> {
    if (!attempt) return;
    await this.redis.client
      .eval(FINISH_ATTEMPT, 4, ...attempt.keys, attempt.member, forgive ? '1' : '0')
      .catch((error: Error) => this.warn(error));
  }

  private warn(error: Error): void {
    this.logger.warn(`login throttle unavailable: ${error.message}`);
  }

  private refuse(retryAfterMs: number): never {
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new TooManyRequestsError('Too many failed login attempts. Try again later.', retryAfter);
  }

  /** The username's failure log and in-flight set, then the IP's (the order the scripts read KEYS in). */
  private keys(username: string, ip: string): string[] {
    // Not the 'login-failures' of the fixed-window counters this replaced: those are strings, and may outlive an
    // upgrade by up to 15 minutes, where a sorted-set command on one would fail and so skip the limit.
    // Usernames exactly as looked up: they differ by case (as Django's do), and a shared log would let a case
    // variant's successful login forgive the other account's failures.
    const scope = ipLimitScope(ip);
    return [
      this.redis.key('login-failure-times', 'user', username),
      this.redis.key('login-attempts-in-flight', 'user', username),
      this.redis.key('login-failure-times', 'ip', scope),
      this.redis.key('login-attempts-in-flight', 'ip', scope),
    ];
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
