import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

import { progress } from './progress.mjs';
import { round } from './stats.mjs';

const RSS_SAMPLE_MS = 250;
const STOP_GRACE_MS = 10_000;
const V8_HELPER_THREAD = /^V8Worker/;
/**
 * Extra node options for the apps, after those of their start scripts (so they win), e.g.
 * `--cpu-prof --cpu-prof-dir=bench/results/profiles` to profile a run.
 */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * A run of its own: a database `evently_bench_<runId>` and Redis prefix `evently-bench-<runId>` (dropped and deleted
 * afterwards), and the environment the compiled apps get, production-like, plus `overrides`.
 */
export function runEnvironment(runId, overrides) {
  const databaseUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  databaseUrl.pathname = `/evently_bench_${runId}`;
  return {
    ...process.env,
    NODE_ENV: 'production',
    DEBUG: 'false',
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    REDIS_PREFIX: `evently-bench-${runId}`,
    SECRET_KEY: `bench-${randomBytes(24).toString('hex')}`,
    ALLOWED_HOSTS: '127.0.0.1,localhost',
    // Two workers on one host would both ask for the default port; the bench reads its figures from /proc.
    WORKER_METRICS_PORT: '0',
    ...overrides,
  };
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The processes the benchmark starts: each runs `node` with the given arguments (for the apps, those of their npm
 * start scripts: `appArguments()` in tools/app-command.mjs), logs to bench/results/<name>.log, and has its
 * resident memory sampled while it lives.
 */
export class ProcessGroup {
  constructor(logDirectory) {
    this.logDirectory = logDirectory;
    this.processes = [];
    this.logged = new Set();
  }

  /** A name started again (the bench restarts the apps after browsing, the soak its workers) appends to its log. */
  start(name, args, env) {
    if (this.closed) throw new Error(`interrupted: not starting ${name}`);
    const log = openSync(`${this.logDirectory}/${name}.log`, this.logged.has(name) ? 'a' : 'w');
    this.logged.add(name);
    const child = spawn(process.execPath, [...args.slice(0, -1), ...NODE_ARGS, args.at(-1)], {
      env,
      stdio: ['ignore', log, log],
    });
    const entryState = {
      name,
      child,
      peakRssKb: 0,
      phasePeakKb: 0,
      highWaterMarkIsPhase: true,
      exited: false,
      rssByPhase: {},
      peakByPhase: {},
    };
    entryState.sampler = setInterval(() => sampleRss(entryState), RSS_SAMPLE_MS);
    child.on('exit', (code, signal) => {
      entryState.exited = true;
      clearInterval(entryState.sampler);
      if (!this.stopping) progress(`  ${name} exited unexpectedly (code ${code}, signal ${signal})`);
    });
    this.processes.push(entryState);
    return entryState;
  }

  /**
   * Records each live process's current RSS under a phase name, and its peak since the previous phase: the current
   * RSS depends on where the collector happens to be (it moved by 15–20 MB between two identical storms), so growth
   * from phase to phase is read from the peaks: the larger of the kernel's high-water mark, reset after each phase
   * (`clear_refs`), and the samples every 250 ms, which alone are all there is where the mark cannot be reset.
   */
  notePhase(phase) {
    for (const entry of this.processes) {
      if (entry.exited) continue;
      const status = readStatus(entry.child.pid);
      const rssKb = status.VmRSS ?? 0;
      const markKb = entry.highWaterMarkIsPhase ? (status.VmHWM ?? 0) : 0;
      entry.peakRssKb = Math.max(entry.peakRssKb, status.VmHWM ?? 0, rssKb);
      entry.rssByPhase[phase] = Math.round(rssKb / 1024);
      entry.peakByPhase[phase] = Math.round(Math.max(entry.phasePeakKb, markKb, rssKb) / 1024);
      entry.phasePeakKb = 0;
      entry.highWaterMarkIsPhase = resetHighWaterMark(entry.child.pid);
    }
  }

  /** Peak RSS (MB) of each process: the kernel's high-water mark, or the sampled peak if that is unreadable. */
  memory() {
    return this.processes.map((entry) => {
      if (!entry.exited) sampleRss(entry);
      return {
        name: entry.name,
        peakRssMb: Math.round(entry.peakRssKb / 1024),
        rssByPhaseMb: entry.rssByPhase,
        peakByPhaseMb: entry.peakByPhase,
      };
    });
  }

  /** CPU time (ms, user + system) used so far by the live processes whose name starts with `prefix`. */
  cpuMs(prefix) {
    return this.processes
      .filter((entry) => entry.name.startsWith(prefix) && !entry.exited)
      .reduce((sum, entry) => sum + readCpuMs(entry.child.pid), 0);
  }

  /**
   * The part of {@link cpuMs} spent on V8's helper threads: its optimising compilers and the collector's concurrent
   * and parallel work, off the main thread (Linux names them `V8Worker`; 0 where /proc has no threads).
   */
  v8HelperCpuMs(prefix) {
    return this.processes
      .filter((entry) => entry.name.startsWith(prefix) && !entry.exited)
      .reduce((sum, entry) => sum + readThreadsCpuMs(entry.child.pid, V8_HELPER_THREAD), 0);
  }

  assertAlive() {
    const dead = this.processes.filter((entry) => entry.exited).map((entry) => entry.name);
    if (dead.length > 0) throw new ProcessDiedError(`process(es) died: ${dead.join(', ')} (see bench/results/*.log)`);
  }

  async stop(entries = this.processes) {
    const stopping = [...entries];
    this.stopping = true;
    await Promise.all(stopping.map((entry) => stopOne(entry)));
    this.processes = this.processes.filter((entry) => !stopping.includes(entry));
    this.stopping = false;
  }

  /** Stops every process, and any a run still starting after this call would have started: for the final cleanup. */
  async close() {
    this.closed = true;
    while (this.processes.length > 0) await this.stop();
  }
}

/**
 * Runs `cleanup` once on Ctrl-C or SIGTERM (a CI cancel, `timeout`) and exits as the signal would have; returns
 * whether that happened, for the run to stop at its next step.
 */
export function onInterrupt(cleanup) {
  let interrupted = false;
  const exitCodes = { SIGINT: 130, SIGTERM: 143 };
  for (const [signal, code] of Object.entries(exitCodes)) {
    process.once(signal, () => {
      if (interrupted) return;
      interrupted = true;
      progress(`${signal}: cleaning up`);
      cleanup().finally(() => process.exit(code));
    });
  }
  return () => interrupted;
}

function sampleRss(entry) {
  const status = readStatus(entry.child.pid);
  entry.peakRssKb = Math.max(entry.peakRssKb, status.VmHWM ?? 0, status.VmRSS ?? 0);
  entry.phasePeakKb = Math.max(entry.phasePeakKb, status.VmRSS ?? 0);
}

/** Sets the process's VmHWM back to its current RSS (Linux 4.0 and later); false where that is not allowed. */
function resetHighWaterMark(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function readStatus(pid) {
  try {
    const fields = {};
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const match = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
      if (match) fields[match[1]] = Number(match[2]);
    }
    return fields;
  } catch {
    return {};
  }
}

/**
 * The CPU (ms) each of this machine's PostgreSQL processes (`postgres` in `/proc/<pid>/comm`: its backends, which the
 * apps' pools keep open, and its background workers) has used so far, by pid; `null` where none is visible (a server
 * elsewhere, or no /proc).
 */
export function postgresCpuSnapshot() {
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const snapshot = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (nameOfStat(stat) === 'postgres') snapshot.set(pid, cpuMsOfStat(stat));
    } catch {
      // The process ended while being read.
    }
  }
  return snapshot.size > 0 ? snapshot : null;
}

/**
 * The CPU PostgreSQL's processes used since `before` (a {@link postgresCpuSnapshot}): a backend started since counts
 * in full, one that ended since takes its share with it (a sum over whoever is alive at each reading went negative
 * when a busy backend closed in between).
 */
export function postgresCpuMsSince(before) {
  const after = postgresCpuSnapshot();
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += Math.max(0, ms - (before.get(pid) ?? 0));
  return total;
}

/** Milliseconds of CPU per unit between two readings of a counter that may be unavailable (`null`). */
export function cpuMsPer(before, after, units) {
  return before === null || after === null || units === 0 ? null : round((after - before) / units, 2);
}

/** utime + stime from /proc/<pid>/stat, in ms (clock ticks are 1/100 s on Linux). */
function readCpuMs(pid) {
  try {
    return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** CPU time of the process's threads whose name (`comm`) matches `pattern`. */
function readThreadsCpuMs(pid, pattern) {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, thread) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
        return pattern.test(nameOfStat(stat)) ? sum + cpuMsOfStat(stat) : sum;
      } catch {
        return sum;
      }
    }, 0);
  } catch {
    return 0;
  }
}

/** The process's or thread's name (`comm`) in a `/proc/…/stat` line. */
function nameOfStat(stat) {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/** utime + stime of a `/proc/…/stat` line, in ms (the kernel counts in 10 ms ticks). */
function cpuMsOfStat(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function stopOne(entry) {
  if (entry.exited || entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  sampleRss(entry);
  clearInterval(entry.sampler);
  const exited = new Promise((resolve) => entry.child.once('exit', resolve));
  entry.child.kill('SIGTERM');
  const timer = setTimeout(() => entry.child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Ends a wait at once: a process it waits for has died, and will not get ready. */
class ProcessDiedError extends Error {}

/** Polls `check` until it returns a truthy value, or throws after `timeoutMs` or when `check` finds a process dead. */
export async function waitFor(description, check, timeoutMs = 30_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      if (error instanceof ProcessDiedError) throw error;
      // else not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await sleep(everyMs);
  }
}

const PROBE =
  'const t = performance.now(); let s = 0; for (let i = 0; i < 1e8; i++) s += i; console.log(performance.now() - t);';

/**
 * Milliseconds a fresh node takes for a fixed loop. A shared host can slow a whole VM down without the load
 * average showing it; a probe slower at the end of a run than at its start means the figures between mixed
 * two speeds.
 */
export function cpuProbeMs() {
  return Math.round(Number(execFileSync(process.execPath, ['-e', PROBE], { encoding: 'utf8' })));
}
