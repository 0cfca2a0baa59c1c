import { Transform } from 'class-transformer';
import {
  IsBoolean,
  isEmail,
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';

import { senderAddress } from './sender-address';
import { isTrustProxy } from './trust-proxy';

const toBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off', ''].includes(normalized)) return false;
  return value;
};

const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * A sender Django would send from, which checks nothing: an address, bare or in angle brackets after a display name,
 * on any domain (Django's own default is `webmaster@localhost`); no line break to end the header with, and no comma
 * or semicolon outside quotes, which would make it a list of addresses.
 */
function isSender(value: unknown): boolean {
  if (typeof value !== 'string' || /[\r\n]/.test(value)) return false;
  const address = senderAddress(value);
  const displayName = value.slice(0, value.lastIndexOf(address)).replace(/"(?:[^"\\]|\\.)*"/g, '');
  return !/[,;]/.test(displayName) && isEmail(address, { require_tld: false });
}

/** Every variable Evently reads, with its default. Validated once, at boot. */
export class EnvironmentDto {
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8000;

  /** The address the api listens on: `0.0.0.0` every IPv4 interface, `::` every interface (IPv6, and IPv4 where the system maps it). */
  @IsOptional()
  @IsIP()
  LISTEN_HOST: string = '0.0.0.0';

  /** Listening sockets sharing PORT (SO_REUSEPORT); a busy api accepts one new connection per socket per loop turn. 1: one plain socket. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(256)
  LISTEN_SOCKETS: number = 32;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  DEBUG: boolean = true;

  @IsOptional()
  @IsString()
  @MinLength(16)
  SECRET_KEY: string = DEFAULT_SECRET_KEY;

  @IsOptional()
  @IsString()
  ALLOWED_HOSTS: string = 'localhost,127.0.0.1,[::1]';

  @IsOptional()
  @IsString()
  CORS_ALLOWED_ORIGINS: string = '';

  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  @IsOptional() @IsString() DB_NAME: string = 'evently';
  @IsOptional() @IsString() DB_USER: string = 'postgres';
  @IsOptional() @IsString() DB_PASSWORD: string = '';
  @IsOptional() @IsString() DB_HOST: string = '127.0.0.1';
  @IsOptional() @Transform(toInteger) @IsInt() @Min(1) @Max(65535) DB_PORT: number = 5432;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(2)
  @Max(200)
  DB_POOL_SIZE: number = 20;

  @IsOptional()
  @IsString()
  REDIS_URL: string = 'redis://127.0.0.1:6379/0';

  @IsOptional()
  @IsString()
  REDIS_PREFIX: string = 'evently';

  @IsOptional() @IsString() EMAIL_HOST: string = '127.0.0.1';
  @IsOptional() @Transform(toInteger) @IsInt() @Min(1) @Max(65535) EMAIL_PORT: number = 1025;
  @IsOptional() @Transform(toBoolean) @IsBoolean() EMAIL_USE_TLS: boolean = false;
  @IsOptional() @IsString() EMAIL_HOST_USER: string = '';
  @IsOptional() @IsString() EMAIL_HOST_PASSWORD: string = '';
  /** An address, or a display name and an address (`Evently Inc. <noreply@evently.com>`), as Django takes it. */
  @IsOptional()
  @ValidateBy({
    name: 'isSender',
    validator: {
      validate: isSender,
      defaultMessage: () =>
        'DEFAULT_FROM_EMAIL must be an email address, bare or after a display name (quote a name with a comma in it)',
    },
  })
  DEFAULT_FROM_EMAIL: string = 'noreply@evently.com';

  /** Mail jobs started per second by all workers together; 0 lifts the limit. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(100_000)
  MAIL_RATE_PER_SECOND: number = 100;

  /** The longest a booking rush holds back mail, in seconds; 0 never holds it back. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(3600)
  MAIL_RUSH_PAUSE_MAX_SECONDS: number = 60;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** `false`, the addresses of the proxies in front of the api (comma-separated, CIDRs allowed), or `true`. */
  @IsOptional()
  @ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: isTrustProxy,
      defaultMessage: () => 'TRUST_PROXY must be false, the addresses of your proxies (CIDRs allowed), or true',
    },
  })
  TRUST_PROXY: string = 'false';

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY: number = 16;

  /** The worker's own Prometheus endpoint; 0 disables it. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_METRICS_PORT: number = 9464;

  /**
   * Health turns `degraded` when the oldest waiting booking job is older than this; 0 (the default) never, as the
   * contract asks for 200 whenever the database, Redis and a worker are up, an on-sale's backlog or not.
   */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  HEALTH_MAX_JOB_AGE_SECONDS: number = 0;

  /** Lifetime of the queue dashboard's session cookie. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  DASHBOARD_SESSION_MINUTES: number = 60;

  /** Test-only: settle bookings without row locks, to prove the storm test catches oversell. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  UNSAFE_UNGUARDED_ALLOCATION: boolean = false;
}

export const DEFAULT_SECRET_KEY = 'insecure-development-secret-key-change-me';
