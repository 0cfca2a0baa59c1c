// `npm run bench`: the on-sale benchmark of issue 6. Builds if needed, runs the real apps against a database and
// Redis prefix of its own, prints a table and writes bench/results/latest.json; drops everything it made.
import '../tools/supported-node.mjs';

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';

import Redis from 'ioredis';
import pg from 'pg';

import { appArguments } from '../tools/app-command.mjs';

import { BENCH, SYSTEM_ENV } from './config.mjs';
import { dropDatabase, migrate, seedUsers } from './lib/database.mjs';
import { cleanUpKeys } from './lib/redis.mjs';
import { elapsedSeconds, progress } from './lib/progress.mjs';
import { hadOtherAnswers, machine, STORMS, table, targets } from './lib/report.mjs';
import { cpuProbeMs, freePort, onInterrupt, ProcessGroup, runEnvironment, waitFor } from './lib/system.mjs';
import { bareHttpBaseline, bookingLoopBaseline } from './scenarios/baselines.mjs';
import { browse } from './scenarios/browse.mjs';
import { bookingStorm } from './scenarios/storms.mjs';

const RESULTS = 'bench/results';

/** An error's message, or for a host name whose every address failed (an AggregateError) each one's. */
const messageOf = (error) =>
  error.message || error.errors?.map((each) => each.message).join('; ') || String(error.code);

async function main() {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env = runEnvironment(runId, SYSTEM_ENV);
  const databaseUrl = new URL(env.DATABASE_URL);
  const redisUrl = env.REDIS_URL;
  mkdirSync(RESULTS, { recursive: true });
  const machineInfo = machine(await postgresVersion(databaseUrl), await redisVersion(redisUrl));
  machineInfo.cpuProbeMs = { start: cpuProbeMs() };
  progress(
    `run ${runId}: ${machineInfo.nproc} cores, ${machineInfo.memoryGb} GB; load average ${machineInfo.loadAverageAtStart}; ` +
      `CPU probe ${machineInfo.cpuProbeMs.start} ms`,
  );
  progress('building the apps if their sources changed');
  try {
    execFileSync(process.execPath, ['tools/ensure-built.mjs'], { stdio: 'inherit' });
  } catch {
    throw new SetupError('the build failed: its errors are above');
  }

  const processes = new ProcessGroup(RESULTS);
  let pool;
  const cleanup = async () => {
    await processes.close().catch(() => {});
    await pool?.end().catch(() => {});
    await dropDatabase(env.DATABASE_URL).catch((error) => progress(`could not drop the database: ${error.message}`));
    const keys = await cleanUpKeys(redisUrl, env.REDIS_PREFIX);
    progress(`cleaned up: dropped ${databaseUrl.pathname.slice(1)}, deleted ${keys} Redis keys`);
  };
  const interrupted = onInterrupt(cleanup);

  const results = { runId, machine: machineInfo, config: { ...BENCH, env: SYSTEM_ENV } };
  try {
    progress(`creating and migrating ${databaseUrl.pathname.slice(1)}`);
    migrate(env);
    // Backends kept open: one closing mid-measurement would take the CPU it spent out of PostgreSQL's share.
    pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4, idleTimeoutMillis: 0 });
    const [organizer] = await seedUsers(pool, env.SECRET_KEY, 1, { staff: true, prefix: 'organizer' });
    const users = await seedUsers(pool, env.SECRET_KEY, BENCH.storm.users);
    const ctx = { pool, processes, env, databaseUrl: env.DATABASE_URL, organizerId: organizer.id, users };
    ctx.userIds = users.map((user) => user.id);

    progress('baseline (a): bare node:http');
    const { bareHttp, bareHttpStorm } = await bareHttpBaseline(ctx);
    progress(`baseline (b): ${BENCH.dbLoopConnections} connections booking on one hot event`);
    const hotRow = await bookingLoopBaseline(ctx, { hot: true });
    progress(`baseline (c): ${BENCH.dbLoopConnections} connections booking on ${BENCH.coldEvents} cold events`);
    const coldRow = await bookingLoopBaseline(ctx, { hot: false });
    results.baselines = { bareHttp, bareHttpStorm, hotRow, coldRow };

    ctx.apiPorts = await startSystem(processes, env);
    // Before any booking: each booking's confirmation mail goes out at MAIL_RATE_PER_SECOND after the storms, and
    // would take a fifth of the machine away from browsing (34,000 mails at 100/s outlast the run).
    results.browse = await browse(ctx);
    processes.assertAlive();
    processes.notePhase('browse');
    // The storms get fresh processes, as they would without the browsing: its heaps and memos are no part of an on-sale.
    const browseMemory = processes.memory().map((entry) => ({ ...entry, name: `${entry.name} (browse)` }));
    // Once interrupted, the cleanup owns the rest of the run (and the process group refuses to start more apps).
    if (interrupted()) throw new Error('interrupted');
    progress('restarting the apps for the storms');
    await processes.stop();
    ctx.apiPorts = await startSystem(processes, env);
    progress('warming up: pools fill and the JIT compiles the booking path on a spare event');
    results.warmup = await bookingStorm(ctx, { label: 'warm-up', ...BENCH.warmup });
    processes.notePhase('warm-up');
    results.storm = await bookingStorm(ctx, { label: 'storm', events: 1, ...BENCH.storm });
    processes.assertAlive();
    processes.notePhase('storm');
    results.stormRepeat = await bookingStorm(ctx, { label: 'storm repeat', events: 1, ...BENCH.storm });
    processes.assertAlive();
    processes.notePhase('storm repeat');
    results.manyEvents = await bookingStorm(ctx, { label: 'many events', ...BENCH.manyEvents });
    processes.assertAlive();
    processes.notePhase('many events');
    results.memory = [...browseMemory, ...processes.memory()];
  } finally {
    if (!interrupted()) await cleanup();
  }
  // Once the apps have stopped: the workers are still sending the storms' mail until then.
  machineInfo.cpuProbeMs.end = cpuProbeMs();
  results.targets = targets(results);
  results.durationSeconds = Math.round(elapsedSeconds());
  writeFileSync(`${RESULTS}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${table(results)}\n\nWrote ${RESULTS}/latest.json`);
  const broken = STORMS.filter(([key]) => !results[key].invariants.ok).map(([, title]) => title);
  if (broken.length > 0) {
    console.error(`\nAn invariant is broken (see the table above): ${broken.join('; ')}.`);
    process.exitCode = 1;
  }
  const failedReads = Object.entries(results.browse)
    .filter(([, result]) => hadOtherAnswers(result))
    .map(([key]) => key);
  if (failedReads.length > 0) {
    console.error(`\nBrowsing had answers other than 200 (see the table above): ${failedReads.join(', ')}.`);
    process.exitCode = 1;
  }
}

/**
 * Starts the SMTP sink, then the apis and workers with the run's environment; waits until the apis see both workers,
 * then notes each process's idle RSS.
 */
async function startSystem(processes, env) {
  const smtpPort = await freePort();
  processes.start('smtp-sink', ['bench/servers/smtp-sink.mjs'], { ...env, PORT: String(smtpPort) });
  const systemEnv = { ...env, EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(smtpPort) };
  const apiPorts = [];
  for (let i = 1; i <= BENCH.apiProcesses; i++) {
    const port = await freePort();
    apiPorts.push(port);
    processes.start(`api-${i}`, appArguments('api'), { ...systemEnv, PORT: String(port) });
  }
  for (let i = 1; i <= BENCH.workerProcesses; i++) processes.start(`worker-${i}`, appArguments('worker'), systemEnv);
  progress(
    `starting ${BENCH.apiProcesses} api (ports ${apiPorts.join(', ')}) and ${BENCH.workerProcesses} worker processes`,
  );
  for (const port of apiPorts) {
    await waitFor(
      `the api on port ${port} and its workers`,
      async () => {
        processes.assertAlive();
        const response = await globalThis.fetch(`http://127.0.0.1:${port}/api/health/`);
        const body = await response.json();
        return body.workers >= BENCH.workerProcesses;
      },
      60_000,
    );
  }
  processes.notePhase('idle');
  return apiPorts;
}

/** A failure the operator fixes outside the code (a server down, a build error): said in one line, without a stack. */
class SetupError extends Error {}

const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** A server the bench could not use: down (start it) or refusing it (a password, a missing database: fix the URL). */
function setupError(server, error, variable) {
  const codes = [error.code, ...(error.errors ?? []).map((each) => each.code)];
  const unreached = codes.some((code) => UNREACHED.has(code));
  return new SetupError(
    unreached
      ? `${server} cannot be reached (${messageOf(error)}): start it, or set ${variable}`
      : `${server} refused the bench (${messageOf(error)}): check ${variable}`,
  );
}

async function postgresVersion(databaseUrl) {
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect().catch((error) => {
    throw setupError(`PostgreSQL at ${maintenance.host}`, error, 'BENCH_DATABASE_URL');
  });
  try {
    return (await client.query('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end();
  }
}

async function redisVersion(url) {
  // One attempt, and its failure said once, rather than ioredis retrying and logging each retry's error.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause;
  redis.on('error', (error) => (cause = error));
  try {
    await redis.connect().catch((error) => {
      throw setupError('Redis', cause ?? error, 'BENCH_REDIS_URL');
    });
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

const USAGE = `usage: npm run bench            the on-sale benchmark (2–5 minutes; bench/README.md)
       npm run bench -- soak    the soak (npm run soak; 10 minutes by default)
Settings come from BENCH_* and SOAK_* environment variables (bench/README.md), not arguments.`;

const [command, ...extra] = process.argv.slice(2);
if (command === 'soak') {
  // Kept beside the benchmark and out of CI; it reads its own arguments.
  await import('./soak.mjs');
} else if (command === '--help' || command === '-h') {
  console.log(USAGE);
} else if (command !== undefined || extra.length > 0) {
  console.error(`unknown arguments: ${process.argv.slice(2).join(' ')}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  main().catch((error) => {
    console.error(`bench failed: ${error instanceof SetupError ? error.message : (error.stack ?? error.message)}`);
    process.exitCode = 1;
  });
}
