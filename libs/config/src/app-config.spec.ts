import { Client } from 'pg';

import { AppConfig, InvalidConfigError } from './app-config';
import { DEFAULT_SECRET_KEY } from './environment.dto';

describe('AppConfig.fromEnvironment', () => {
  it('needs no variables at all on a machine with local PostgreSQL and Redis', () => {
    const config = AppConfig.fromEnvironment({});
    expect(config.port).toBe(8000);
    expect(config.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/evently');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379/0');
    expect(config.debug).toBe(true);
  });

  it('defaults each setting to what .env.example and the README give', () => {
    const config = AppConfig.fromEnvironment({});
    expect(config).toMatchObject({
      listenSockets: 32,
      databasePoolSize: 20,
      workerConcurrency: 16,
      workerMetricsPort: 9464,
      healthMaxJobAgeSeconds: 0,
      dashboardSessionMinutes: 60,
      logLevel: 'info',
      redisPrefix: 'evently',
      unsafeUnguardedAllocation: false,
    });
    expect(config.mail).toMatchObject({ port: 1025, secure: false, ratePerSecond: 100, rushPauseMaxSeconds: 60 });
  });

  it('takes each end of the documented ranges, 0 where it turns a limit or an endpoint off', () => {
    const ends = [
      { LISTEN_SOCKETS: '1', DB_POOL_SIZE: '2', WORKER_CONCURRENCY: '1', MAIL_RATE_PER_SECOND: '0' },
      { LISTEN_SOCKETS: '256', DB_POOL_SIZE: '200', WORKER_CONCURRENCY: '256', MAIL_RATE_PER_SECOND: '100000' },
      { WORKER_METRICS_PORT: '0', MAIL_RUSH_PAUSE_MAX_SECONDS: '0', DASHBOARD_SESSION_MINUTES: '1', PORT: '1' },
      { MAIL_RUSH_PAUSE_MAX_SECONDS: '3600', DASHBOARD_SESSION_MINUTES: '1440', PORT: '65535' },
    ];
    for (const env of ends) expect(() => AppConfig.fromEnvironment(env)).not.toThrow();
    expect(AppConfig.fromEnvironment({ MAIL_RATE_PER_SECOND: '0' }).mail.ratePerSecond).toBe(0);
  });

  it.each([
    ['yes', true],
    ['on', true],
    [' TRUE ', true],
    ['no', false],
    ['off', false],
    ['', false],
  ])('reads the switch value %j as %s', (value, expected) => {
    expect(AppConfig.fromEnvironment({ EMAIL_USE_TLS: value }).mail.secure).toBe(expected);
  });

  it('builds the database URL from the DB_* set when DATABASE_URL is absent', () => {
    const config = AppConfig.fromEnvironment({
      DB_NAME: 'evently_db',
      DB_USER: 'app',
      DB_PASSWORD: 'p@ss word',
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
    });
    expect(config.databaseUrl).toBe('postgresql://app:p%40ss%20word@db.internal:6543/evently_db');
  });

  /** What node-postgres connects with: it parses the URL itself (TypeORM hands it over as `connectionString`). */
  const connectionOf = (env: Record<string, string>) => {
    const client = new Client({ connectionString: AppConfig.fromEnvironment(env).databaseUrl }) as Client & {
      connectionParameters: { host: string; port: number; user: string; password: string; database: string };
    };
    const { host, port, user, password, database } = client.connectionParameters;
    return { host, port, user, password, database };
  };

  it.each([
    ['a % in the password', { DB_PASSWORD: 'pa%41ss' }, { password: 'pa%41ss' }],
    ['a password that is not valid percent-encoding', { DB_PASSWORD: 'abc%zz' }, { password: 'abc%zz' }],
    [
      'a user and database name with reserved characters',
      { DB_USER: 'a:b@c', DB_NAME: 'ev ently %1 a:b@c$+,;=&é' },
      { user: 'a:b@c', database: 'ev ently %1 a:b@c$+,;=&é' },
    ],
    ['an IPv6 host', { DB_HOST: '::1' }, { host: '::1', port: 5432 }],
    ['an IPv6 host in brackets', { DB_HOST: '[::1]' }, { host: '::1', port: 5432 }],
    ['an empty host, localhost as Django reads it', { DB_HOST: '' }, { host: 'localhost' }],
    [
      "a socket directory, Django's form",
      { DB_HOST: '/var/run/postgresql', DB_USER: 'app', DB_PASSWORD: 's', DB_PORT: '5433' },
      { host: '/var/run/postgresql', user: 'app', password: 's', port: 5433 },
    ],
  ])('passes %s from the DB_* set to PostgreSQL unchanged', (_case, env, expected) => {
    expect(connectionOf(env)).toMatchObject({ host: '127.0.0.1', user: 'postgres', database: 'evently', ...expected });
  });

  it('stops on a DB_HOST that is no host name, and on a DB_NAME no URL path carries', () => {
    expect(() => AppConfig.fromEnvironment({ DB_HOST: 'db host' })).toThrow(/\bDB_HOST\b/);
    expect(() => AppConfig.fromEnvironment({ DB_NAME: 'a/b' })).toThrow(/\bDB_NAME\b/);
  });

  it('blames DB_PORT alone for a port that is no number', () => {
    expect(() => AppConfig.fromEnvironment({ DB_PORT: 'abc' })).toThrow(/\bDB_PORT\b/);
    expect(() => AppConfig.fromEnvironment({ DB_PORT: 'abc' })).not.toThrow(/\bDB_HOST\b/);
  });

  it('says only that a number is not one, not the range it then also misses', () => {
    const problems = (() => {
      try {
        AppConfig.fromEnvironment({ PORT: 'abc' });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(problems).toMatch(/PORT: .*integer/);
    expect(problems).not.toMatch(/less than|greater than/);
    expect(() => AppConfig.fromEnvironment({ PORT: '70000' })).toThrow(/PORT: .*greater than 65535/);
  });

  it.each([
    'Evently <noreply@evently.com>',
    'Evently Inc. <noreply@evently.com>',
    '"Evently, Inc." <noreply@evently.com>',
    'webmaster@localhost',
  ])('takes the sender %j, as Django does', (from) => {
    expect(AppConfig.fromEnvironment({ DEFAULT_FROM_EMAIL: from }).mail.from).toBe(from);
  });

  it('listens on every IPv4 interface unless LISTEN_HOST names another address, such as :: for IPv6', () => {
    expect(AppConfig.fromEnvironment({}).listenHost).toBe('0.0.0.0');
    expect(AppConfig.fromEnvironment({ LISTEN_HOST: '::' }).listenHost).toBe('::');
  });

  it('prefers DATABASE_URL', () => {
    const url = 'postgresql://user:pass@host:5433/dbname';
    expect(AppConfig.fromEnvironment({ DATABASE_URL: url, DB_NAME: 'ignored' }).databaseUrl).toBe(url);
    expect(AppConfig.fromEnvironment({ DATABASE_URL: url, DB_NAME: 'ignored/too' }).databaseUrl).toBe(url);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '0' }, 'PORT'],
    [{ LISTEN_SOCKETS: '0' }, 'LISTEN_SOCKETS'],
    [{ LISTEN_SOCKETS: '257' }, 'LISTEN_SOCKETS'],
    [{ DB_POOL_SIZE: '1' }, 'DB_POOL_SIZE'],
    [{ DB_POOL_SIZE: '201' }, 'DB_POOL_SIZE'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY'],
    [{ WORKER_CONCURRENCY: '257' }, 'WORKER_CONCURRENCY'],
    [{ MAIL_RATE_PER_SECOND: '-1' }, 'MAIL_RATE_PER_SECOND'],
    [{ MAIL_RUSH_PAUSE_MAX_SECONDS: '3601' }, 'MAIL_RUSH_PAUSE_MAX_SECONDS'],
    [{ DASHBOARD_SESSION_MINUTES: '1441' }, 'DASHBOARD_SESSION_MINUTES'],
    [{ HEALTH_MAX_JOB_AGE_SECONDS: '-1' }, 'HEALTH_MAX_JOB_AGE_SECONDS'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ SECRET_KEY: 'fifteen-chars..' }, 'SECRET_KEY'],
    [{ LISTEN_HOST: 'localhost' }, 'LISTEN_HOST'],
    [{ DEBUG: 'maybe' }, 'DEBUG'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ EMAIL_PORT: '-1' }, 'EMAIL_PORT'],
    [{ DEFAULT_FROM_EMAIL: 'nobody' }, 'DEFAULT_FROM_EMAIL'],
    [{ DEFAULT_FROM_EMAIL: 'Evently <nobody>' }, 'DEFAULT_FROM_EMAIL'],
    [{ DEFAULT_FROM_EMAIL: 'Evently, Inc. <noreply@evently.com>' }, 'DEFAULT_FROM_EMAIL'],
    [{ DEFAULT_FROM_EMAIL: 'noreply@evently.com\r\nBcc: all@example.com' }, 'DEFAULT_FROM_EMAIL'],
  ])('stops on %p with a message naming %s', (env, variable) => {
    expect(() => AppConfig.fromEnvironment(env)).toThrow(InvalidConfigError);
    expect(() => AppConfig.fromEnvironment(env)).toThrow(new RegExp(`\\b${variable}\\b`));
  });

  it('says to percent-encode when a password the URL cannot hold unencoded is what broke it', () => {
    const hint = /percent-encode any of @ : \/ % # \? in its user name and password/;
    expect(() => AppConfig.fromEnvironment({ DATABASE_URL: 'postgresql://app:p@ss:w/rd@db/evently' })).toThrow(hint);
    expect(() => AppConfig.fromEnvironment({ REDIS_URL: 'redis://:p#ss@cache:6379/0' })).toThrow(hint);
    // Parsed as a URL, but node-postgres cannot decode it ("URI malformed").
    expect(() => AppConfig.fromEnvironment({ DATABASE_URL: 'postgresql://app:p%zz@db/evently' })).toThrow(hint);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['1', true],
    ['True', true],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
    ['loopback,::1,fd00::/8', ['loopback', '::1', 'fd00::/8']],
    ['linklocal,uniquelocal', ['linklocal', 'uniquelocal']],
    ['', false],
  ])('reads TRUST_PROXY=%s as %j: none, the proxies to believe, or every hop', (value, expected) => {
    expect(AppConfig.fromEnvironment(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('refuses a TRUST_PROXY that is none of those', () => {
    for (const value of ['maybe', '2', '10.0.0.0/8;rm', 'loopback,', '0.0.0.0/0', '::/0', 'fe80::1%eth0', '[::1]']) {
      expect(() => AppConfig.fromEnvironment({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
    }
  });

  it('refuses DEBUG=False with the default SECRET_KEY', () => {
    expect(() => AppConfig.fromEnvironment({ DEBUG: 'False' })).toThrow(/SECRET_KEY/);
    expect(() => AppConfig.fromEnvironment({ DEBUG: 'False', SECRET_KEY: DEFAULT_SECRET_KEY })).toThrow(/SECRET_KEY/);
    expect(AppConfig.fromEnvironment({ DEBUG: 'False', SECRET_KEY: 'a-real-secret-of-sufficient-length' }).debug).toBe(
      false,
    );
  });

  it('refuses the test-only unguarded allocation in production', () => {
    expect(() =>
      AppConfig.fromEnvironment({
        DEBUG: 'False',
        SECRET_KEY: 'a-real-secret-of-sufficient-length',
        UNSAFE_UNGUARDED_ALLOCATION: 'true',
      }),
    ).toThrow(/UNSAFE_UNGUARDED_ALLOCATION/);
  });

  it('reads ALLOWED_HOSTS and CORS_ALLOWED_ORIGINS as lists, the spaces around each item and empty items ignored', () => {
    const config = AppConfig.fromEnvironment({
      ALLOWED_HOSTS: ' localhost, api.example.com ,,.example.org ',
      CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.allowedHosts).toEqual(['localhost', 'api.example.com', '.example.org']);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('redacts the Redis password for display', () => {
    const config = AppConfig.fromEnvironment({ REDIS_URL: 'redis://:hunter2@cache:6379/0' });
    expect(config.redactedRedisUrl).toBe('redis://:***@cache:6379/0');
  });

  it('redacts a password given as a query option, which ioredis reads too', () => {
    const config = AppConfig.fromEnvironment({ REDIS_URL: 'redis://cache:6379/0?password=hunter2&family=6' });
    expect(config.redactedRedisUrl).toBe('redis://cache:6379/0?password=***&family=6');
  });
});
