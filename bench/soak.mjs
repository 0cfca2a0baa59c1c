// `npm run soak`: hours of a day compressed into SOAK_MINUTES (default 10). Two apis and two workers of the compiled
// apps on a database and Redis prefix of their own, mixed traffic at a moderate rate, one worker restarted
// (SIGTERM, then started again) every SOAK_RESTART_SECONDS; then errors by status, p99 per kind, the RSS of each
// process every ~10 s with its growth, and the inventory invariants. Writes bench/results/soak-latest.json.
/* global fetch, AbortSignal */
import '../tools/supported-node.mjs';

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import { appArguments } from '../tools/app-command.mjs';

import { createEvents, dropDatabase, migrate, seedUsers } from './lib/database.mjs';
import { progress } from './lib/progress.mjs';
import { cleanUpKeys } from './lib/redis.mjs';
import { summarize } from './lib/stats.mjs';
import { freePort, onInterrupt, ProcessGroup, runEnvironment, waitFor } from './lib/system.mjs';

const RESULTS = 'bench/results';
const SOAK = {
  minutes: numberFromEnv('SOAK_MINUTES', 10, { min: 0.1 }),
  restartEverySeconds: numberFromEnv('SOAK_RESTART_SECONDS', 60, { min: 5 }),
  virtualUsers: numberFromEnv('SOAK_VIRTUAL_USERS', 8, { min: 1, integer: true }),
  /** Pause of each virtual user between requests: 8 users at ~120 ms give a moderate ~50 req/s. */
  thinkMs: numberFromEnv('SOAK_THINK_MS', 100, { min: 0 }),
  rssEverySeconds: 10,
  users: 200,
  events: 40,
  capacity: 300,
};
/** Kinds of request and their weights; a kind that has nothing to act on (no booking yet) browses instead. */
const MIX = [
  ['list', 30],
  ['details', 20],
  ['availability', 10],
  ['book', 20],
  ['poll', 12],
  ['cancel', 7],
  ['notify', 1],
];
/** Statuses that are part of normal traffic, not errors: a sold-out event refuses (409), a settled booking too. */
const EXPECTED = { book: [201, 409], cancel: [200, 409], notify: [200] };

async function main() {
  const runId = `soak_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env = runEnvironment(runId, {
    LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? 'warn',
    // The apis share this environment; a worker needs WORKER_CONCURRENCY (16 by default) + 4 connections.
    DB_POOL_SIZE: '20',
  });
  mkdirSync(RESULTS, { recursive: true });
  progress(`soak ${runId}: ${SOAK.minutes} min, worker restart every ${SOAK.restartEverySeconds} s`);
  execFileSync(process.execPath, ['tools/ensure-built.mjs'], { stdio: 'inherit' });

  const processes = new ProcessGroup(RESULTS);
  let pool;
  const cleanup = async () => {
    await processes.close().catch(() => {});
    await pool?.end().catch(() => {});
    await dropDatabase(env.DATABASE_URL).catch((error) => progress(`could not drop the database: ${error.message}`));
    await cleanUpKeys(env.REDIS_URL, env.REDIS_PREFIX);
  };
  const interrupted = onInterrupt(cleanup);
  try {
    migrate(env);
    pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
    const [staff] = await seedUsers(pool, env.SECRET_KEY, 1, { staff: true, prefix: 'soak_staff' });
    const users = await seedUsers(pool, env.SECRET_KEY, SOAK.users, { prefix: 'soak' });
    const eventIds = await createEvents(pool, staff.id, SOAK.events, SOAK.capacity, 'Soak');
    const system = await startSystem(processes, env);

    const traffic = new Traffic(system.apiUrls, staff, users, eventIds);
    const rss = new RssLog(system.slots);
    const until = new Deadline(Date.now() + SOAK.minutes * 60_000);
    await untilOneFails(until, [
      traffic.runUntil(until),
      restartWorkers(processes, system, until),
      rss.sampleUntil(until),
    ]);

    progress('traffic stopped: waiting for every booking to settle');
    await waitFor('bookings to settle', async () => (await unsettled(pool)) === 0, 120_000, 1000).catch(() => {});
    const results = {
      runId,
      config: SOAK,
      traffic: traffic.report(),
      restarts: system.restarts,
      memory: rss.report(),
      invariants: await invariants(pool, traffic.created),
    };
    writeFileSync(`${RESULTS}/soak-latest.json`, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n${render(results)}\nWrote ${RESULTS}/soak-latest.json`);
    if (!results.invariants.ok || results.traffic.unexpected > 0) process.exitCode = 1;
  } finally {
    if (!interrupted()) await cleanup();
  }
}

/** A number from the environment, or the default; anything else stops the soak before it starts, naming the variable. */
function numberFromEnv(name, fallback, { min, integer = false }) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    console.error(`${name}=${raw}: must be ${integer ? 'a whole number' : 'a number'} of at least ${min}`);
    process.exit(2);
  }
  return value;
}

/** SMTP sink, 2 apis, 2 workers; resolves once both apis see both workers. */
async function startSystem(processes, env) {
  const smtpPort = await freePort();
  processes.start('soak-smtp', ['bench/servers/smtp-sink.mjs'], { ...env, PORT: String(smtpPort) });
  const systemEnv = { ...env, EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(smtpPort) };
  const slots = {};
  const apiUrls = [];
  for (const name of ['api-1', 'api-2']) {
    const port = await freePort();
    apiUrls.push(`http://127.0.0.1:${port}`);
    slots[name] = processes.start(`soak-${name}`, appArguments('api'), { ...systemEnv, PORT: String(port) });
  }
  for (const name of ['worker-1', 'worker-2'])
    slots[name] = processes.start(`soak-${name}`, appArguments('worker'), systemEnv);
  await waitForWorkers(processes, apiUrls[0], 2);
  return { slots, apiUrls, systemEnv, restarts: [] };
}

async function waitForWorkers(processes, apiUrl, count) {
  await waitFor(
    `${count} workers`,
    async () => {
      processes.assertAlive();
      return (await (await fetch(`${apiUrl}/api/health/`)).json()).workers >= count;
    },
    60_000,
  );
}

/** When the soak's loops stop: at its time, or at once when one of them failed. */
class Deadline {
  constructor(at) {
    this.at = at;
    this.failed = false;
  }

  get passed() {
    return this.failed || Date.now() >= this.at;
  }

  msLeft() {
    return this.failed ? 0 : Math.max(0, this.at - Date.now());
  }
}

/** Runs the loops to the deadline; the first to fail ends the others (which see it passed), and is thrown. */
async function untilOneFails(deadline, loops) {
  const settled = await Promise.allSettled(
    loops.map((loop) =>
      loop.catch((error) => {
        deadline.failed = true;
        throw error;
      }),
    ),
  );
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Sleeps `ms`, or less when the deadline comes first; a failure elsewhere ends it within a second. */
async function sleepUntil(until, ms) {
  const end = Date.now() + Math.min(ms, until.msLeft());
  while (!until.passed && Date.now() < end) await sleep(Math.min(1000, end - Date.now()));
}

/** Every restart interval, one worker (alternating) gets SIGTERM, exits after its active jobs, and starts again. */
async function restartWorkers(processes, system, until) {
  for (let round = 0; ; round++) {
    await sleepUntil(until, SOAK.restartEverySeconds * 1000);
    if (until.msLeft() < 5_000) return;
    const name = round % 2 === 0 ? 'worker-1' : 'worker-2';
    const startedAt = performance.now();
    await processes.stop([system.slots[name]]);
    const stoppedMs = Math.round(performance.now() - startedAt);
    system.slots[name] = processes.start(`soak-${name}`, appArguments('worker'), system.systemEnv);
    await waitForWorkers(processes, system.apiUrls[0], 2);
    const backMs = Math.round(performance.now() - startedAt);
    system.restarts.push({ name, stoppedMs, backMs });
    progress(`  restarted ${name}: exited in ${stoppedMs} ms, both workers live again after ${backMs} ms`);
  }
}

/** The virtual users: each loops pick-a-kind, request, think, until the deadline. */
class Traffic {
  constructor(apiUrls, staff, users, eventIds) {
    Object.assign(this, { apiUrls, staff, users, eventIds });
    this.byKind = new Map();
    this.created = 0;
    this.bookings = [];
    this.networkErrors = 0;
    this.requests = 0;
  }

  async runUntil(until) {
    const ticker = setInterval(() => progress(`  ${this.requests} requests, ${this.created} bookings`), 30_000);
    try {
      await Promise.all(Array.from({ length: SOAK.virtualUsers }, (_, i) => this.virtualUser(i, until)));
    } finally {
      clearInterval(ticker);
    }
  }

  async virtualUser(index, until) {
    const api = this.apiUrls[index % this.apiUrls.length];
    while (!until.passed) {
      await this.one(api, pickKind());
      await sleep(SOAK.thinkMs);
    }
  }

  async one(api, kind) {
    const user = pick(this.users);
    const eventId = pick(this.eventIds);
    const booking = this.bookings.length > 0 ? pick(this.bookings) : undefined;
    const auth = (who) => ({ Authorization: `Token ${who.token}` });
    const json = { 'Content-Type': 'application/json' };
    const requests = {
      list: () => [`/api/user/events/?page=${1 + Math.floor(Math.random() * 4)}&ordering=-time`],
      details: () => [`/api/user/events/${eventId}/`],
      availability: () => [`/api/events/${eventId}/availability/`],
      book: () => [
        '/api/bookings/',
        {
          method: 'POST',
          headers: { ...auth(user), ...json },
          body: JSON.stringify({ user_id: user.id, event_id: eventId, number_of_tickets: 1 + (user.id % 3) }),
        },
      ],
      poll: () => booking && [`/api/bookings/${booking.id}/`, { headers: auth(booking.user) }],
      cancel: () => booking && [`/api/bookings/${booking.id}/`, { method: 'DELETE', headers: auth(booking.user) }],
      notify: () => [
        `/api/admin/events/${eventId}/notify/`,
        {
          method: 'POST',
          headers: { ...auth(this.staff), ...json },
          body: JSON.stringify({ message: 'Doors open at 7 pm.' }),
        },
      ],
    };
    const made = requests[kind]();
    const [tag, spec] = made ? [kind, made] : ['list', requests.list()];
    const startedAt = performance.now();
    this.requests++;
    try {
      const response = await fetch(`${api}${spec[0]}`, { ...spec[1], signal: AbortSignal.timeout(30_000) });
      const body = await response.text();
      this.record(tag, response.status, performance.now() - startedAt);
      if (tag === 'book' && response.status === 201) {
        this.created++;
        this.bookings.push({ id: JSON.parse(body).id, user });
      }
    } catch {
      this.networkErrors++;
      this.record(tag, 'network', performance.now() - startedAt);
    }
  }

  record(kind, status, latencyMs) {
    const entry = this.byKind.get(kind) ?? { statuses: {}, latencies: [] };
    entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
    entry.latencies.push(latencyMs);
    this.byKind.set(kind, entry);
  }

  report() {
    const kinds = {};
    let unexpected = 0;
    for (const [kind, entry] of [...this.byKind].sort()) {
      const ok = EXPECTED[kind] ?? [200];
      const errors = Object.entries(entry.statuses).filter(([status]) => !ok.includes(Number(status)));
      unexpected += errors.reduce((sum, [, count]) => sum + count, 0);
      kinds[kind] = {
        requests: entry.latencies.length,
        statuses: entry.statuses,
        latencyMs: summarize(entry.latencies),
      };
    }
    return { requests: this.requests, bookingsCreated: this.created, unexpected, kinds };
  }
}

function pickKind() {
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = Math.random() * total;
  for (const [kind, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return MIX[0][0];
}

const pick = (items) => items[Math.floor(Math.random() * items.length)];

/** VmRSS of every process slot every ~10 s (a restarted worker continues its slot). */
class RssLog {
  constructor(slots) {
    this.slots = slots;
    this.samples = [];
    this.startedAt = Date.now();
  }

  async sampleUntil(until) {
    while (!until.passed) {
      const seconds = Math.round((Date.now() - this.startedAt) / 1000);
      for (const [name, entry] of Object.entries(this.slots)) {
        const rssMb = readRssMb(entry.child.pid);
        if (rssMb !== undefined) this.samples.push({ seconds, name, pid: entry.child.pid, rssMb });
      }
      await sleepUntil(until, SOAK.rssEverySeconds * 1000);
    }
  }

  /**
   * Per process slot: mean RSS of the first, the second and the last minute, the peak of each incarnation (a
   * restarted worker starts a new one) and the growth after warm-up (last minute − second minute). The first
   * minute is the start-up ramp, so growth is measured from the second: flat means a few MB either way.
   */
  report() {
    const last = Math.max(...this.samples.map((sample) => sample.seconds));
    const mean = (list) =>
      list.length === 0 ? null : Math.round(list.reduce((sum, s) => sum + s.rssMb, 0) / list.length);
    // Only once the last minute starts after the second has ended: a shorter soak has no growth to tell.
    const growthKnown = last - 60 >= 120;
    return Object.fromEntries(
      Object.keys(this.slots).map((name) => {
        const own = this.samples.filter((sample) => sample.name === name);
        const secondMinute = mean(own.filter((s) => s.seconds >= 60 && s.seconds < 120));
        const lastMinute = mean(own.filter((s) => s.seconds > last - 60));
        const pids = [...new Set(own.map((s) => s.pid))];
        const incarnationPeaksMb = pids.map((pid) => Math.max(...own.filter((s) => s.pid === pid).map((s) => s.rssMb)));
        return [
          name,
          {
            firstMinuteMb: mean(own.filter((s) => s.seconds < 60)),
            secondMinuteMb: secondMinute,
            lastMinuteMb: lastMinute,
            growthAfterWarmUpMb: growthKnown ? lastMinute - secondMinute : null,
            peakMb: Math.max(...incarnationPeaksMb),
            incarnationPeaksMb,
            samples: own.map((s) => s.rssMb),
          },
        ];
      }),
    );
  }
}

function readRssMb(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function unsettled(pool) {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM bookings WHERE status IN ('pending', 'processing')`,
  );
  return rows[0].n;
}

/** Every booking final; per event, the counter equals the confirmed tickets and stays within capacity; nothing lost. */
async function invariants(pool, created) {
  const { rows: statuses } = await pool.query(`SELECT status, count(*)::int AS n FROM bookings GROUP BY status`);
  const byStatus = Object.fromEntries(statuses.map((row) => [row.status, row.n]));
  const { rows: events } = await pool.query(
    `SELECT e.id, e.capacity, e.booked_tickets,
            coalesce(sum(b.ticket_count) FILTER (WHERE b.status = 'confirmed'), 0)::int AS confirmed
       FROM events e LEFT JOIN bookings b ON b.event_id = e.id GROUP BY e.id`,
  );
  const counterMismatches = events.filter((e) => e.booked_tickets !== e.confirmed).length;
  const oversold = events.filter((e) => e.booked_tickets > e.capacity).length;
  const rows = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const notFinal = rows - (byStatus.confirmed ?? 0) - (byStatus.failed ?? 0) - (byStatus.cancelled ?? 0);
  return {
    ok: counterMismatches === 0 && oversold === 0 && notFinal === 0 && rows === created,
    byStatus,
    bookingRows: rows,
    acceptedByApi: created,
    notFinal,
    counterMismatches,
    oversold,
    soldOutEvents: events.filter((e) => e.booked_tickets === e.capacity).length,
  };
}

function render({ runId, config, traffic, restarts, memory, invariants: inv }) {
  const lines = [
    `Evently soak ${runId}: ${config.minutes} min, ${config.virtualUsers} virtual users, ${traffic.requests} requests`,
  ];
  lines.push('', 'kind           requests   p50 ms   p99 ms   statuses');
  for (const [kind, entry] of Object.entries(traffic.kinds)) {
    const statuses = Object.entries(entry.statuses)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    lines.push(
      `${kind.padEnd(14)} ${String(entry.requests).padStart(8)} ${String(entry.latencyMs.p50).padStart(8)} ${String(entry.latencyMs.p99).padStart(8)}   ${statuses}`,
    );
  }
  lines.push(`unexpected statuses (5xx, network, other 4xx): ${traffic.unexpected}`);
  lines.push('', `worker restarts: ${restarts.length} (exit ${restarts.map((r) => r.stoppedMs).join(', ')} ms)`);
  lines.push('', 'process     1st min MB  2nd min MB  last min MB  growth MB  peak MB  peak per incarnation MB');
  for (const [name, m] of Object.entries(memory)) {
    const cells = [m.firstMinuteMb, m.secondMinuteMb, m.lastMinuteMb, m.growthAfterWarmUpMb, m.peakMb];
    const widths = [10, 11, 12, 10, 8];
    lines.push(
      `${name.padEnd(11)} ${cells.map((cell, i) => String(cell ?? 'n/a').padStart(widths[i])).join(' ')}  ${m.incarnationPeaksMb.join(' ')}`,
    );
  }
  lines.push('(growth: last minute − second minute; the first minute is start-up)');
  lines.push(
    '',
    `invariants: ${inv.ok ? 'hold' : 'BROKEN'}: ${inv.bookingRows} booking rows for ${inv.acceptedByApi} accepted, ` +
      `${JSON.stringify(inv.byStatus)}, not final ${inv.notFinal}, counter≠rows ${inv.counterMismatches}, ` +
      `oversold ${inv.oversold}, sold-out events ${inv.soldOutEvents}`,
  );
  return lines.join('\n');
}

// `npm run soak` or `npm run bench -- soak`: settings come from SOAK_* variables, so any other argument is a slip.
const SOAK_USAGE = 'usage: npm run soak (or npm run bench -- soak); settings: SOAK_* variables (bench/README.md)';
const unknown = process.argv.slice(2).filter((argument) => argument !== 'soak');
if (unknown.length === 1 && ['--help', '-h'].includes(unknown[0])) {
  console.log(SOAK_USAGE);
} else if (unknown.length > 0) {
  console.error(`unknown arguments: ${unknown.join(' ')}\n\n${SOAK_USAGE}`);
  process.exitCode = 2;
} else {
  main().catch((error) => {
    console.error(`soak failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  });
}
