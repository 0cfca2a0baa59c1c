import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { DEFAULT_SECRET_KEY, EnvironmentDto } from './environment.dto';
import { trustProxy } from './trust-proxy';

export class InvalidConfigError extends Error {}

/** The validated, typed configuration; the only reader of process.env. */
export class AppConfig {
  readonly port: number;
  readonly listenHost: string;
  readonly listenSockets: number;
  readonly debug: boolean;
  readonly secretKey: string;
  readonly allowedHosts: string[];
  readonly corsOrigins: string[];
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly logLevel: string;
  /** Fastify's `trustProxy`: which hops of `X-Forwarded-For` name the client. */
  readonly trustProxy: boolean | string[];
  readonly workerConcurrency: number;
  readonly unsafeUnguardedAllocation: boolean;
  readonly workerMetricsPort: number;
  readonly healthMaxJobAgeSeconds: number;
  readonly dashboardSessionMinutes: number;
  readonly mail: {
    host: string;
    port: number;
    secure: boolean;
    user: string;
    password: string;
    from: string;
    ratePerSecond: number;
    rushPauseMaxSeconds: number;
  };

  constructor(env: EnvironmentDto) {
    this.port = env.PORT;
    this.listenHost = env.LISTEN_HOST;
    this.listenSockets = env.LISTEN_SOCKETS;
    this.debug = env.DEBUG;
    this.secretKey = env.SECRET_KEY;
    this.allowedHosts = splitList(env.ALLOWED_HOSTS);
    this.corsOrigins = splitList(env.CORS_ALLOWED_ORIGINS);
    this.databaseUrl = env.DATABASE_URL ?? buildDatabaseUrl(env);
    this.databasePoolSize = env.DB_POOL_SIZE;
    this.redisUrl = env.REDIS_URL;
    this.redisPrefix = env.REDIS_PREFIX;
    this.logLevel = env.LOG_LEVEL;
    this.trustProxy = trustProxy(env.TRUST_PROXY) ?? false; // validated: never undefined here
    this.workerConcurrency = env.WORKER_CONCURRENCY;
    this.unsafeUnguardedAllocation = env.UNSAFE_UNGUARDED_ALLOCATION;
    this.workerMetricsPort = env.WORKER_METRICS_PORT;
    this.healthMaxJobAgeSeconds = env.HEALTH_MAX_JOB_AGE_SECONDS;
    this.dashboardSessionMinutes = env.DASHBOARD_SESSION_MINUTES;
    this.mail = {
      host: env.EMAIL_HOST,
      port: env.EMAIL_PORT,
      secure: env.EMAIL_USE_TLS,
      user: env.EMAIL_HOST_USER,
      password: env.EMAIL_HOST_PASSWORD,
      from: env.DEFAULT_FROM_EMAIL,
      ratePerSecond: env.MAIL_RATE_PER_SECOND,
      rushPauseMaxSeconds: env.MAIL_RUSH_PAUSE_MAX_SECONDS,
    };
  }

  static fromEnvironment(raw: Record<string, string | undefined> = process.env): AppConfig {
    const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
    const env = plainToInstance(EnvironmentDto, present, { exposeDefaultValues: true });
    const problems = validateSync(env, { skipMissingProperties: false }).flatMap((error) =>
      failedRules(error.constraints ?? {}).map((message) => `${error.property}: ${message}`),
    );
    problems.push(...checkUrls(env));
    if (!env.DEBUG && env.SECRET_KEY === DEFAULT_SECRET_KEY) {
      problems.push('SECRET_KEY: must be set to a secret of your own when DEBUG is False');
    }
    if (!env.DEBUG && env.UNSAFE_UNGUARDED_ALLOCATION) {
      problems.push('UNSAFE_UNGUARDED_ALLOCATION: is a test-only switch and is refused when DEBUG is False');
    }
    if (problems.length > 0) {
      throw new InvalidConfigError(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
    }
    return new AppConfig(env);
  }

  /** The Redis URL with any password replaced, fit for health output and logs. */
  get redactedRedisUrl(): string {
    return redactUrl(this.redisUrl);
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Characters a database name cannot carry through a URL's path (node-postgres decodes it with `decodeURI`). */
const NOT_IN_DATABASE_NAME = /[/?#]/;

/**
 * The DB_* set as a URL that node-postgres reads back unchanged: user and password percent-encoded (the URL setters
 * leave `%` alone), the name escaped only as far as `decodeURI` undoes, and the host as {@link urlHost} gives it.
 */
function buildDatabaseUrl(env: EnvironmentDto): string {
  const userInfo = env.DB_PASSWORD
    ? `${encodeURIComponent(env.DB_USER)}:${encodeURIComponent(env.DB_PASSWORD)}`
    : encodeURIComponent(env.DB_USER);
  const url = new URL(`postgresql://${userInfo}@${urlHost(env.DB_HOST)}:${env.DB_PORT}/${encodeURI(env.DB_NAME)}`);
  if (env.DB_HOST.startsWith('/')) url.searchParams.set('host', env.DB_HOST);
  return url.toString();
}

/**
 * DB_HOST as a URL's host: an IPv6 address, bare or bracketed, in brackets; empty, as Django reads it, is
 * localhost; a socket directory (`/var/run/postgresql`, Django's form) goes in the `host` parameter, which
 * node-postgres prefers to the URL's host.
 */
function urlHost(host: string): string {
  if (host === '' || host.startsWith('/')) return 'localhost';
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return bare.includes(':') ? `[${bare}]` : bare;
}

const ENCODE_HINT = ' (percent-encode any of @ : / % # ? in its user name and password: %40 %3A %2F %25 %23 %3F)';

function checkUrls(env: EnvironmentDto): string[] {
  const problems: string[] = [];
  if (env.DATABASE_URL !== undefined && !isUrl(env.DATABASE_URL, ['postgres:', 'postgresql:'])) {
    problems.push(`DATABASE_URL: must be a postgresql:// URL${ENCODE_HINT}`);
  }
  if (env.DATABASE_URL === undefined && !isUrl(`postgresql://${urlHost(env.DB_HOST)}`, ['postgresql:'])) {
    problems.push('DB_HOST: must be a host name, an IP address or a socket directory');
  }
  if (env.DATABASE_URL === undefined && NOT_IN_DATABASE_NAME.test(env.DB_NAME)) {
    problems.push('DB_NAME: may not contain /, ? or #');
  }
  if (!isUrl(env.REDIS_URL, ['redis:', 'rediss:'])) {
    problems.push(`REDIS_URL: must be a redis:// or rediss:// URL${ENCODE_HINT}`);
  }
  return problems;
}

/** A URL of one of `protocols` whose user name and password decode, as the clients decode them (a bare `%` does not). */
function isUrl(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return protocols.includes(url.protocol);
  } catch {
    return false;
  }
}

/** The URL with its secrets masked: the password, and any query option naming one (ioredis reads `?password=`). */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    for (const name of [...url.searchParams.keys()]) {
      if (/pass|secret|token/i.test(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return '<invalid url>';
  }
}

/** A value of the wrong type fails its range checks too (`PORT=abc` is neither ≥ 1 nor ≤ 65535): only the type is said. */
function failedRules(constraints: Record<string, string>): string[] {
  const wrongType = Object.keys(constraints).find((rule) => TYPE_RULES.has(rule));
  return wrongType ? [constraints[wrongType]] : Object.values(constraints);
}

const TYPE_RULES = new Set(['isInt', 'isBoolean', 'isString']);
