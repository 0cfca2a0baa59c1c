import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { AddressInfo, createConnection, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { Client } from 'pg';
import request from 'supertest';

import { exitStatusOf } from '@evently/common';
import { dropDatabase, migrateDatabase } from '@evently/database';
import { eventually, inventoryOf, TEST_PASSWORD, uniqueName } from '@evently/testing';

import { freePort, launchProcess, startApiProcess, startWorkerProcess, terminateTwice } from '../support/processes';
import { createTestApp, dataSourceOf } from '../support/test-app';

const run = promisify(execFile);
const CLI = 'dist/apps/api/apps/api/src/cli/main.js';
const onLinux = process.platform === 'linux' ? it : it.skip;

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]) {
  return runCli(args, { env });
}

async function runCli(args: string[], { env = {}, input }: { env?: Record<string, string>; input?: string }) {
  try {
    // Killed if it hangs, so that a regression fails its test instead of keeping Jest waiting for the child.
    const running = run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 15_000 });
    if (input !== undefined) running.child.stdin?.end(input);
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('npm run cli', () => {
  it('createsuperuser creates a staff superuser, and refuses an existing username with a non-zero exit', async () => {
    const username = uniqueName('root');
    const args = [
      'createsuperuser',
      '--username',
      username,
      '--email',
      'root@example.com',
      '--password',
      TEST_PASSWORD,
    ];
    const created = await cli(...args);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(username);
    expect(created.stderr).toContain(
      'warning: --password is visible to other users in the process list; prefer --password-stdin',
    );

    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query('SELECT is_staff, is_superuser FROM users WHERE username = $1', [username]);
    await client.end();
    expect(rows).toEqual([{ is_staff: true, is_superuser: true }]);

    const again = await cli(...args);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
  });

  it('createsuperuser reads the password from standard input, so that it shows in no process list', async () => {
    const username = uniqueName('root');
    const created = await runCli(
      ['createsuperuser', '--username', username, '--email', 'root@example.com', '--password-stdin'],
      { input: `${TEST_PASSWORD}\n` },
    );
    expect(created).toEqual({ code: 0, stdout: expect.stringContaining(username), stderr: '' });
    const app = await createTestApp();
    try {
      await request(app.getHttpServer())
        .post('/api/user/auth/login/')
        .send({ username, password: TEST_PASSWORD })
        .expect(200);
    } finally {
      await app.close();
    }
  });

  it("createsuperuser keeps a piped password's own spaces and drops only the line break that ends it", async () => {
    const username = uniqueName('root');
    const password = `  ${TEST_PASSWORD}  `;
    const created = await runCli(
      ['createsuperuser', '--username', username, '--email', 'root@example.com', '--password-stdin'],
      { input: `${password}\r\n` },
    );
    expect(created).toEqual({ code: 0, stdout: expect.stringContaining(username), stderr: '' });
    const app = await createTestApp();
    try {
      await request(app.getHttpServer()).post('/api/user/auth/login/').send({ username, password }).expect(200);
    } finally {
      await app.close();
    }
  });

  it('createsuperuser refuses two passwords (exit 2) and an empty one from standard input', async () => {
    const base = ['createsuperuser', '--username', uniqueName('root'), '--email', 'root@example.com'];
    const both = await runCli([...base, '--password', TEST_PASSWORD, '--password-stdin'], { input: TEST_PASSWORD });
    expect({ code: both.code, stderr: both.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('not both') });
    const empty = await runCli([...base, '--password-stdin'], { input: '\n' });
    expect({ code: empty.code, stderr: empty.stderr }).toEqual({
      code: 1,
      stderr: 'error: standard input gave no password\n',
    });
  });

  it('migrate says which migration it is applying, and a command run before it says to migrate first', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_cli_fresh';
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${url.pathname.slice(1)}`);
      const early = await cliWith({ DATABASE_URL: url.toString() }, 'seed-demo');
      expect({ code: early.code, stderr: early.stderr }).toEqual({
        code: 1,
        stderr: expect.stringContaining(
          'run the migrations first: `npm run migration:run`, or the CLI’s migrate command',
        ),
      });
      const migrated = await cliWith({ DATABASE_URL: url.toString() }, 'migrate');
      expect(migrated.code).toBe(0);
      const lines = migrated.stdout.split('\n');
      const first = lines.findIndex((line) => line.startsWith('applying migration InitialSchema'));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(lines[first + 1]).toMatch(/^ran migration InitialSchema\d+ in \d+\.\d s$/);
      const again = await cliWith({ DATABASE_URL: url.toString() }, 'migrate');
      expect(again.stdout).toContain(`the schema of ${url.pathname.slice(1)} is up to date`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${url.pathname.slice(1)} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('a command run against a database that does not exist yet says to migrate first, and creates none', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_cli_missing';
    const created = await runCli(
      ['createsuperuser', '--username', uniqueName('root'), '--email', 'root@example.com', '--password-stdin'],
      { env: { DATABASE_URL: url.toString() }, input: TEST_PASSWORD },
    );
    expect({ code: created.code, stderr: created.stderr }).toEqual({
      code: 1,
      stderr: expect.stringContaining(
        'run the migrations first: `npm run migration:run`, or the CLI’s migrate command',
      ),
    });
    expect(await databaseExists(url.pathname.slice(1))).toBe(false);
  });

  it('createsuperuser without a terminal names the missing options instead of prompting', async () => {
    const result = await cli('createsuperuser', '--username', uniqueName('root'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--email.*--password/);
    expect(result.stderr).toContain('pipe the password in with --password-stdin');
    const piped = await runCli(['createsuperuser', '--username', uniqueName('root'), '--password-stdin'], {
      input: TEST_PASSWORD,
    });
    expect({ code: piped.code, stderr: piped.stderr }).toEqual({
      code: 1,
      stderr: 'error: missing --email (not a terminal, so no prompt)\n',
    });
  });

  it('createsuperuser enforces the password policy', async () => {
    const result = await cli(
      'createsuperuser',
      '--username',
      uniqueName('root'),
      '--email',
      'r@example.com',
      '--password',
      'short',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('too short');
  });

  it('createsuperuser refuses an email that registration would refuse, and creates no user', async () => {
    const username = uniqueName('root');
    const result = await cli(
      'createsuperuser',
      '--username',
      username,
      '--email',
      'root@',
      '--password',
      TEST_PASSWORD,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('"root@" is not a valid email address');

    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query('SELECT 1 FROM users WHERE username = $1', [username]);
    await client.end();
    expect(rows).toEqual([]);
  });

  it('createsuperuser takes an email of 254 characters, the longest registration takes', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(email).toHaveLength(254);
    const result = await runCli(
      ['createsuperuser', '--username', uniqueName('root'), '--email', email, '--password-stdin'],
      { input: TEST_PASSWORD },
    );
    expect(result).toEqual({ code: 0, stdout: expect.stringContaining('created'), stderr: '' });
  });

  it('migrate stopped by Ctrl-C (sent twice, as through npm) cancels its statement on the server, exits 130, and a rerun finishes', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_cli_interrupt';
    const name = url.pathname.slice(1);
    await migrateDatabase(url.toString());
    const blocker = new Client({ connectionString: url.toString() });
    // Outside the blocker's transaction, which would keep reading one snapshot of pg_stat_activity.
    const observer = new Client({ connectionString: process.env.DATABASE_URL });
    await Promise.all([blocker.connect(), observer.connect()]);
    try {
      // The last migration pending again, its index build made to wait for a lock the test holds.
      await blocker.query(`DELETE FROM typeorm_migrations WHERE name LIKE 'EventNoticesIndexes%'`);
      await blocker.query(`DROP INDEX event_notices_sent_by_idx, event_notices_event_id_idx`);
      await blocker.query(`BEGIN`);
      await blocker.query(`LOCK TABLE event_notices IN SHARE MODE`);
      const migrate = spawn(process.execPath, [CLI, 'migrate'], {
        env: { ...process.env, DATABASE_URL: url.toString() },
      });
      let stderr = '';
      migrate.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(migrate, 'exit');
      const buildRunning = `SELECT count(*)::int AS running FROM pg_stat_activity
                             WHERE datname = $1 AND state = 'active' AND query LIKE 'CREATE%INDEX%'`;
      const running = async () => (await observer.query(buildRunning, [name])).rows[0].running as number;
      await eventually(async () => ((await running()) > 0 ? true : undefined), 10_000);

      migrate.kill('SIGINT');
      // Again once the first was taken, as `npm run migration:run` passes the terminal's Ctrl-C on to a child that
      // got it too.
      await eventually(async () => (stderr.includes('stopping the migration') ? true : undefined), 5_000, 10);
      migrate.kill('SIGINT');
      const [code] = await exited;

      expect({ code, stderr: stderr.trim().split('\n').at(-1) }).toEqual({
        code: 130,
        stderr: 'cancelled: the migration in progress was stopped; run migrate again to finish',
      });
      // The backend may take a moment to go once its client has; without the cancel it would wait for the lock.
      await eventually(async () => ((await running()) === 0 ? true : undefined), 5_000);
      await blocker.query(`ROLLBACK`);
      const rerun = await cliWith({ DATABASE_URL: url.toString() }, 'migrate');
      expect(rerun.code).toBe(0);
      const { rows } = await blocker.query(
        `SELECT count(*)::int AS valid FROM pg_index WHERE indisvalid AND indexrelid IN
           ('event_notices_sent_by_idx'::regclass, 'event_notices_event_id_idx'::regclass)`,
      );
      expect(rows[0].valid).toBe(2);
    } finally {
      await blocker.end();
      await observer.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await observer.end();
    }
  });

  it('migrate is safe to run twice', async () => {
    const result = await cli('migrate');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('up to date');
  });

  it('migrate that may not create the missing database names it and the two ways on, not the maintenance database', async () => {
    const role = uniqueName('nocreate');
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN NOCREATEDB`);
      const url = new URL(process.env.DATABASE_URL ?? '');
      url.username = role;
      url.pathname += '_cli_nocreate';
      const result = await cliWith({ DATABASE_URL: url.toString() }, 'migrate');
      expect({ code: result.code, stderr: result.stderr }).toEqual({
        code: 1,
        stderr:
          `error: database ${url.pathname.slice(1)} does not exist, and creating it through the server's "postgres" ` +
          "database failed (permission denied to create database): create it yourself, or let DATABASE_URL's user " +
          'create databases (CREATEDB), then run migrate again\n',
      });
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it("migrate connects to an existing database only, never to the server's maintenance database", async () => {
    // Managed PostgreSQL and PgBouncer setups often refuse connections to the `postgres` database.
    const url = new URL(process.env.DATABASE_URL ?? '');
    const proxy = await startupRecordingProxy(url.hostname, Number(url.port || 5432));
    try {
      url.port = String((proxy.server.address() as AddressInfo).port);
      const result = await cliWith({ DATABASE_URL: url.toString() }, 'migrate');
      expect(result.code).toBe(0);
      expect(proxy.databases).toContain(url.pathname.slice(1));
      expect(proxy.databases).not.toContain('postgres');
    } finally {
      proxy.server.close();
    }
  });

  it('seed-demo refuses to run with DEBUG=False, since its accounts share a password the README prints', async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const users = async () => (await client.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
    try {
      const before = await users();
      const result = await cliWith({ DEBUG: 'False', SECRET_KEY: 'a-real-secret-of-sufficient-length' }, 'seed-demo');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('DEBUG');
      expect(await users()).toBe(before);
    } finally {
      await client.end();
    }
  });

  it('seed-demo prints a progress line per step, is idempotent, and a running api lists its events, its Redis away or not', async () => {
    const app = await createTestApp();
    try {
      // The same Host every time, and read twice: the list is then cached and replayed, as a browser's would be.
      const demoEvents = async () =>
        (
          await request(app.getHttpServer())
            .get('/api/user/events/')
            .query({ search: 'Demo event' })
            .set('Host', 'localhost')
            .expect(200)
        ).body;
      expect((await demoEvents()).count).toBe(0);
      expect((await demoEvents()).count).toBe(0);

      const first = await cli('seed-demo');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/1\/4[\s\S]*2\/4[\s\S]*3\/4[\s\S]*4\/4/);
      expect((await demoEvents()).count).toBe(6);
      // Its confirmed bookings hold their seats, as those the worker confirms do: 1 + 2 + 3 + 1 + 2 tickets.
      const dataSource = dataSourceOf(app);
      const demo: { id: string }[] = await dataSource.query(`SELECT id FROM events WHERE name LIKE 'Demo event %'`);
      const inventories = await Promise.all(demo.map(({ id }) => inventoryOf(dataSource, id)));
      expect(inventories.map((row) => row.booked_tickets - row.confirmed_tickets)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(inventories.reduce((sum, row) => sum + row.booked_tickets, 0)).toBe(9);
      const roles = await dataSource.query(
        `SELECT username, is_staff, is_superuser FROM users WHERE username IN ('demo_admin', 'demo_staff', 'demo_user1')
          ORDER BY username`,
      );
      expect(roles).toEqual([
        { username: 'demo_admin', is_staff: true, is_superuser: true },
        { username: 'demo_staff', is_staff: true, is_superuser: false },
        { username: 'demo_user1', is_staff: false, is_superuser: false },
      ]);

      const second = await cli('seed-demo');
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('Demo data is already there; nothing to do.');

      // A run stopped after its users (Ctrl-C while hashing, say): the next adds what is missing, not "already there".
      // Past the cache, as such a stop would leave it: the api's list still holds the deleted events.
      await dataSource.query(`DELETE FROM bookings WHERE event_id = ANY ($1)`, [demo.map(({ id }) => id)]);
      await dataSource.query(`DELETE FROM events WHERE id = ANY ($1)`, [demo.map(({ id }) => id)]);
      // Its Redis away: the cache bump is recorded with the rows, and the running api pays it.
      const finishing = await cliWith({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, 'seed-demo');
      expect({ code: finishing.code, stdout: finishing.stdout }).toEqual({
        code: 0,
        stdout: expect.stringMatching(
          /2\/4 attendees demo_user1\.\.5: already there\n3\/4 6 events: added 6\n4\/4 confirmed bookings: added 5\n/,
        ),
      });
      const demoAgain: { id: string }[] = await dataSource.query(
        `SELECT id FROM events WHERE name LIKE 'Demo event %'`,
      );
      const idsOf = (events: { id: string }[]) => JSON.stringify(events.map(({ id }) => id).sort());
      await eventually(async () => idsOf((await demoEvents()).results) === idsOf(demoAgain) || undefined);
      const booked = await Promise.all(demoAgain.map(({ id }) => inventoryOf(dataSource, id)));
      expect(booked.reduce((sum, row) => sum + row.confirmed_tickets, 0)).toBe(9);
    } finally {
      await app.close();
    }
  });

  it('rejects an unknown command, no command, or an option a command does not take, with usage and exit 2', async () => {
    for (const args of [['frobnicate'], [], ['seed-demo', '--force'], ['migrate', 'now']]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain('usage');
    }
  });

  it('refuses an option given without its value instead of taking the next option as the value', async () => {
    const username = uniqueName('root');
    const result = await cli('createsuperuser', '--username', '--email', 'root@example.com', '--password', username);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--username');
  });

  it('prints its usage for --help or -h, alone or after any command, and does nothing else', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_help';
    for (const args of [
      ['--help'],
      ['-h'],
      ['help'],
      ['migrate', '--help'],
      ['seed-demo', '-h'],
      ['createsuperuser', '--help'],
    ]) {
      const result = await cliWith({ DATABASE_URL: url.toString() }, ...args);
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expect(result.stdout).toContain('usage');
    }
    const existed = await databaseExists(url.pathname.slice(1));
    // A failing run leaves nothing behind (the teardown drops only the run's own database).
    await dropDatabase(url.toString());
    expect(existed).toBe(false);
  });

  it('migrate gives up on a server that accepts the connection but never answers, instead of waiting minutes', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const result = await cliWith({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/evently` }, 'migrate');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*timeout/im);
    } finally {
      silent.close();
    }
  }, 20_000);

  it.each(['migrate', 'seed-demo', 'createsuperuser'])(
    '%s says in one line that PostgreSQL cannot be reached and which settings point at it, without a stack trace',
    async (command) => {
      const result = await cliWith({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/evently' }, command);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^error: .*ECONNREFUSED.* \(is PostgreSQL running there\? check DATABASE_URL, or DB_HOST and DB_PORT\)$/,
        ),
      ]);
    },
  );
});

describe('npm start', () => {
  it('exits non-zero when the api cannot start, although the worker it then stops exits cleanly', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const env = { PORT: port, REDIS_PREFIX: `${process.env.REDIS_PREFIX}-start-all`, LISTEN_SOCKETS: '1' };
      const result = await runScript('tools/start-all.mjs', env);
      expect(result.output).toContain('EADDRINUSE');
      // By itself: not only once the run's time is up and the worker, never told to stop, gets a SIGTERM.
      expect({ code: result.code, killed: result.killed }).toEqual({ code: 1, killed: false });
    } finally {
      taken.close();
    }
  }, 60_000);

  onLinux(
    'migrates, runs the api and a worker as their npm scripts do, and on SIGTERM stops both and exits 0',
    async () => {
      const launched = await launchStartAll('_start_all', { REDIS_PREFIX: `${process.env.REDIS_PREFIX}-up` });
      let apps: { pid: number; command: string }[] = [];
      try {
        // 200 only once PostgreSQL, Redis and a worker are up.
        await eventually(async () => {
          const health = await fetch(`http://127.0.0.1:${launched.port}/api/health/`).catch(() => undefined);
          return health?.status === 200 ? true : undefined;
        }, 45_000);
        // The contract's "prints the Swagger URL", at the port it was given.
        apps = await launched.appsOnceLogged(`Swagger UI: http://localhost:${launched.port}/api/docs`);
        const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
        expect(apps.map(({ command }) => command).sort()).toEqual(
          ['api', 'worker'].map((app) => scripts[`start:${app}`].replace(/^node /, `${process.execPath} `)),
        );

        expect(await launched.stop()).toBe(0);
        expect(apps.filter(({ pid }) => isRunning(pid))).toEqual([]);
        const client = new Client({ connectionString: launched.databaseUrl });
        await client.connect();
        const { rows } = await client.query('SELECT count(*)::int AS applied FROM typeorm_migrations');
        await client.end();
        expect(rows[0].applied).toBeGreaterThan(0);
      } finally {
        await launched.kill(apps);
      }
    },
    90_000,
  );

  onLinux(
    "passes a later signal on to the apps, which quit at once, as their stop message says, while one's closing waits",
    async () => {
      // The worker's closing waits on a Redis that is away: only the operator's "quit now" ends it.
      const launched = await launchStartAll('_start_all_quit', { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      let apps: { pid: number; command: string }[] = [];
      try {
        // Both up: an api still booting is ended by the signal itself, before its stop is in place.
        apps = await launched.appsOnceLogged('Redis cannot be reached', 'Evently api listening');
        const { runningAfterFirst, exit } = await terminateTwice(launched, 'worker told to stop');
        expect(launched.output()).toContain('send SIGTERM again, a few seconds later, to quit at once');
        expect(runningAfterFirst).toBe(true);
        expect(exit).toBe(exitStatusOf('SIGTERM'));
        expect(apps.filter(({ pid }) => isRunning(pid))).toEqual([]);
      } finally {
        await launched.kill(apps);
      }
    },
    90_000,
  );

  onLinux(
    'exits as a shell reports an app a signal ended (137 for the OOM killer), having stopped the other',
    async () => {
      const launched = await launchStartAll('_start_all_killed', {
        REDIS_PREFIX: `${process.env.REDIS_PREFIX}-killed`,
      });
      let apps: { pid: number; command: string }[] = [];
      try {
        apps = await launched.appsOnceLogged('worker ready', 'Evently api listening');
        process.kill(apps.find(({ command }) => command.includes('apps/api'))!.pid, 'SIGKILL');
        expect(await launched.exited).toBe(137);
        expect(launched.output()).toContain('worker told to stop');
        expect(apps.filter(({ pid }) => isRunning(pid))).toEqual([]);
      } finally {
        await launched.kill(apps);
      }
    },
    90_000,
  );

  it('stops when the migrations fail, starting neither app', async () => {
    const result = await runScript('tools/start-all.mjs', {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/evently`,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    expect(result.code).toBe(1);
    expect(result.output.trim().split('\n')).toEqual([
      'Applying database migrations...',
      expect.stringMatching(/^error: .*ECONNREFUSED/),
    ]);
  }, 60_000);
});

/** Whether the server holds a database `name`. */
async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

/** The processes `pid` started, with their command lines (Linux's /proc). */
async function childrenOf(pid: number): Promise<{ pid: number; command: string }[]> {
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(pid)]);
  return stdout
    .trim()
    .split(/\s+/)
    .map(Number)
    .map((child) => ({
      pid: child,
      command: readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0$/, '').split('\0').join(' '),
    }));
}

/** `npm start`'s launcher on a database of its own (`suffix` added to the tests' database name) and a free port. */
async function launchStartAll(suffix: string, env: Record<string, string>) {
  const url = new URL(process.env.DATABASE_URL ?? '');
  url.pathname += suffix;
  const port = await freePort();
  const launcher = launchProcess('tools/start-all.mjs', 'start-all', {
    DATABASE_URL: url.toString(),
    PORT: String(port),
    ...env,
  });
  return {
    ...launcher,
    port,
    databaseUrl: url.toString(),
    /** The launcher's apps, once its output holds every one of `lines`. */
    appsOnceLogged: async (...lines: string[]) => {
      const logged = () => lines.every((line) => launcher.output().includes(line));
      await eventually(async () => (logged() ? true : undefined), 45_000);
      return childrenOf(launcher.child.pid!);
    },
    /** Whatever is left of the launcher, its apps and `apps` (seen earlier) is killed, and the database dropped. */
    kill: async (apps: { pid: number }[]) => {
      const { child } = launcher;
      const children = child.exitCode === null && child.signalCode === null ? await childrenOf(child.pid!) : [];
      await launcher.kill9();
      for (const { pid } of [...apps, ...children]) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      await dropDatabase(url.toString());
    },
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** tools/ensure-built.mjs in a project of its own, whose build script only says that it ran (or fails). */
describe('npm run ensure-built', () => {
  const OUTPUTS = ['dist/apps/api/apps/api/src/main.js', 'dist/apps/worker/apps/worker/src/main.js'];
  const SOURCES = [
    'package-lock.json',
    'apps/api/src/main.ts',
    'apps/api/src/bookings/dto/create-booking.dto.ts',
    'libs/common/src/index.ts',
  ];
  const builtAt = Date.now() / 1000 - 600;
  const folders: string[] = [];

  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  /** Built ten minutes ago from sources older than that. */
  function project(build = 'echo build ran'): string {
    const folder = mkdtempSync(join(tmpdir(), 'evently-ensure-built-'));
    folders.push(folder);
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ scripts: { build } }));
    for (const file of SOURCES) touch(folder, file, builtAt - 600);
    for (const file of OUTPUTS) touch(folder, file, builtAt);
    return folder;
  }

  function touch(folder: string, file: string, at = Date.now() / 1000) {
    mkdirSync(dirname(join(folder, file)), { recursive: true });
    writeFileSync(join(folder, file), '', { flag: 'a' });
    utimesSync(join(folder, file), at, at);
  }

  async function ensureBuilt(folder: string) {
    try {
      const { stdout, stderr } = await run(process.execPath, [resolve('tools/ensure-built.mjs')], { cwd: folder });
      return { code: 0, output: `${stdout}${stderr}` };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, output: `${failure.stdout}${failure.stderr}` };
    }
  }

  it('builds nothing while both apps were built after every source and build input', async () => {
    expect(await ensureBuilt(project())).toEqual({ code: 0, output: '' });
  });

  it.each([
    ['a source deep in apps/', 'apps/api/src/bookings/dto/create-booking.dto.ts'],
    ['a mail template in libs/', 'libs/mail/src/templates/booking-confirmed.hbs'],
    ['the installed packages', 'package-lock.json'],
  ])('builds both apps after a change to %s', async (_, file) => {
    const folder = project();
    touch(folder, file);
    expect(await ensureBuilt(folder)).toEqual({ code: 0, output: expect.stringContaining('build ran') });
  });

  it("builds when one app's build is older than a source, though the other's is newer", async () => {
    const folder = project();
    touch(folder, 'apps/api/src/main.ts', builtAt + 60);
    touch(folder, OUTPUTS[0]);
    expect(await ensureBuilt(folder)).toEqual({ code: 0, output: expect.stringContaining('build ran') });
  });

  it("exits with the build's status when the build fails, so that nothing starts on the old one", async () => {
    const folder = project('exit 3');
    touch(folder, 'apps/api/src/main.ts');
    expect((await ensureBuilt(folder)).code).toBe(3);
  });
});

/**
 * tools/run-tests.mjs, each Jest run stopped as it reads its configuration by an impossible `--shard=2/1` (arguments
 * go to every suite), so that no suite runs its tests here.
 */
describe('npm test', () => {
  async function runTests(env: Record<string, string | undefined>) {
    try {
      const { stdout, stderr } = await run(process.execPath, ['tools/run-tests.mjs', '--shard=2/1'], {
        env: { ...process.env, ...env },
        timeout: 30_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  }
  // A PATH without redis-server, which the fault suite needs.
  const nodeOnly = { PATH: dirname(process.execPath) };

  it('stops at the first suite that fails, with its status', async () => {
    const result = await runTests({ CI: undefined });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('test: the unit and end-to-end suite');
    expect(result.stdout).not.toContain('test: the faults suite');
  });

  it('skips a suite whose tools are missing with a warning, and runs the others', async () => {
    const result = await runTests({ CI: undefined, ...nodeOnly });
    expect(result.stderr).toContain('test: SKIPPING, the faults suite needs');
    expect(result.stdout).toContain('test: the unit and end-to-end suite');
  });

  it('under CI, fails on such a suite before running any', async () => {
    const result = await runTests({ CI: 'true', ...nodeOnly });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^test: the faults suite needs .*redis-server on the PATH/m);
    expect(result.stdout).toBe('');
  });
});

describe('a start that PostgreSQL refuses', () => {
  it.each([
    ['api', 'dist/apps/api/apps/api/src/main.js'],
    ['worker', 'dist/apps/worker/apps/worker/src/main.js'],
  ])(
    'the %s says so in one line naming the settings to check, without stack traces',
    async (_, script) => {
      const url = new URL(process.env.DATABASE_URL ?? '');
      url.username = 'evently_no_such_role';
      const result = await runScript(script, { DATABASE_URL: url.toString() });
      expect(result.code).toBe(1);
      // A server asking for passwords hides whether the role exists: it refuses the password instead (28P01).
      expect(result.output.trim().split('\n')).toEqual([
        expect.stringMatching(/"evently_no_such_role".*\(check the user.*DATABASE_URL/),
      ]);
    },
    60_000,
  );
});

/** Its exit code, whether it had to be told to stop (SIGTERM after 50 s), and everything it printed. */
async function runScript(script: string, env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [script], {
      env: { ...process.env, ...env },
      timeout: 50_000,
    });
    return { code: 0, killed: false, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as { code: number | null; killed: boolean; stdout: string; stderr: string };
    return { code: failure.code, killed: failure.killed, output: `${failure.stdout}${failure.stderr}` };
  }
}

describe('the npm scripts on an older Node.js', () => {
  /** Runs the check the scripts start with, as if Node.js were `version`. */
  async function checkAs(version: string) {
    const script = `import('./tools/supported-node.mjs').then((m) => m.requireSupportedNode('${version}'))`;
    try {
      await run(process.execPath, ['--input-type=module', '--eval', script]);
      return { code: 0, stderr: '' };
    } catch (error) {
      return error as { code: number; stderr: string };
    }
  }

  it('stop with a message naming the Node.js they need, instead of crashing in NestJS', async () => {
    const old = await checkAs('20.20.2');
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('Evently needs Node.js 24.9.0 or newer (package.json "engines"); this is v20.20.2.');
    expect((await checkAs('24.8.9')).code).toBe(1);
    expect((await checkAs('24.9.0')).code).toBe(0);
    expect((await checkAs('25.0.0')).code).toBe(0);
  });

  // npm ci's preinstall runs supported-node.mjs itself; the others import it first.
  it.each(['tools/supported-node.mjs', 'tools/ensure-built.mjs', 'tools/start-all.mjs', 'tools/run-tests.mjs'])(
    '%s stops before doing anything else',
    async (script) => {
      // Runs before the script's own imports: Node.js 20 as far as the check can tell.
      const asNode20 = 'data:text/javascript,Object.defineProperty(process.versions, "node", { value: "20.20.2" })';
      // Should the check be skipped, each fails fast instead: migrate without a server, Jest on a bad --shard.
      const env = { ...process.env, DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/evently` };
      const result = await run(process.execPath, ['--import', asNode20, script, '--shard=2/1'], {
        env,
        timeout: 30_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect({ code: result.code, stderr: result.stderr }).toEqual({
        code: 1,
        stderr: expect.stringContaining(
          'Evently needs Node.js 24.9.0 or newer (package.json "engines"); this is v20.20.2.',
        ),
      });
    },
    40_000,
  );
});

/** A TCP hop to PostgreSQL that notes the database each connection's startup message asks for. */
async function startupRecordingProxy(
  postgresHost: string,
  postgresPort: number,
): Promise<{ server: Server; databases: string[] }> {
  const databases: string[] = [];
  const server = createServer((client) => {
    const upstream = createConnection(postgresPort, postgresHost);
    client.once('data', (startup) => {
      const fields = startup.subarray(8).toString('utf8').split('\0');
      databases.push(fields[fields.indexOf('database') + 1]);
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, databases };
}

describe('the apps on a schema older or newer than their code', () => {
  it('refuse to start on an older one, naming the first migration it lacks and how to apply it; start on a newer one', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_schema_check';
    await migrateDatabase(url.toString());
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `DELETE FROM typeorm_migrations WHERE id = (SELECT max(id) FROM typeorm_migrations) RETURNING name`,
      );
      const env = { DATABASE_URL: url.toString(), REDIS_PREFIX: `${process.env.REDIS_PREFIX}-schema-check` };
      for (const entry of ['dist/apps/api/apps/api/src/main.js', 'dist/apps/worker/apps/worker/src/main.js']) {
        const app = launchProcess(entry, 'schema-check', { ...env, PORT: String(await freePort()) });
        expect(await app.exited).toBe(1);
        expect(app.output()).toContain(
          `lacks 1 of this release's migrations (the first: ${rows[0].name}): if DATABASE_URL, or DB_NAME, names ` +
            'the right database, run the migrations first: `npm run migration:run`, or the CLI’s migrate command',
        );
      }

      await migrateDatabase(url.toString());
      // A later release's migration, run before this release's apps are replaced.
      await client.query(
        `INSERT INTO typeorm_migrations (timestamp, name) VALUES (1999999999999, 'Later1999999999999')`,
      );
      const api = await startApiProcess(env);
      const worker = await startWorkerProcess(env);
      await Promise.all([api.stop(), worker.stop()]);
    } finally {
      await client.end();
      await dropDatabase(url.toString());
    }
  }, 60_000);
});
