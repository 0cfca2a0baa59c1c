import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { REPEATED_SIGNAL_MS } from '@evently/common';
import { eventually } from '@evently/testing';

const API_ENTRY = 'dist/apps/api/apps/api/src/main.js';
const WORKER_ENTRY = 'dist/apps/worker/apps/worker/src/main.js';
const LOG_DIR = 'test/artifacts/processes';

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  /** Its exit: the exit code, or the name of the signal that ended it. */
  exited: Promise<number | string | null>;
  /** SIGKILL, as a crash would. */
  kill9: () => Promise<void>;
  /** SIGTERM, then wait for the exit; resolves as {@link exited}. */
  stop: () => Promise<number | string | null>;
  /**
   * Ctrl-C under npm: SIGINT from the terminal, then the same again as npm forwards it, once the process has taken
   * the first (says `stopping`); resolves as {@link stop} does.
   */
  interrupt: () => Promise<number | string | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/**
 * An operator's "quit now": SIGTERM, and once the process has logged `stopping` and more than REPEATED_SIGNAL_MS have
 * passed, SIGTERM again. Resolves to whether it was still running before the second, and its exit code (or
 * `still running` five seconds after the second).
 */
export async function terminateTwice(
  { child, output, exited }: Pick<RunningProcess, 'child' | 'output' | 'exited'>,
  stopping: string,
) {
  child.kill('SIGTERM');
  await eventually(async () => (output().includes(stopping) ? true : undefined));
  await sleep(REPEATED_SIGNAL_MS + 500);
  const runningAfterFirst = child.exitCode === null && child.signalCode === null;
  child.kill('SIGTERM');
  const exit = await Promise.race([exited, sleep(5000, 'still running' as const)]);
  return { runningAfterFirst, exit };
}

/** `node script` with LOG_LEVEL info unless `env` says otherwise, its log kept as `<name>-<pid>.log`. */
export function launchProcess(script: string, name: string, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Every child's log is kept under test/artifacts/processes/ (not committed) for post-mortems.
  mkdirSync(LOG_DIR, { recursive: true });
  const log = createWriteStream(`${LOG_DIR}/${name}-${child.pid}.log`);
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk) => {
      output = (output + chunk).slice(-200_000);
      log.write(chunk);
    });
  }
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string | null);
  return {
    child,
    output: () => output,
    exited,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    interrupt: async () => {
      child.kill('SIGINT');
      await eventually(
        async () => (output.includes('stopping') || child.exitCode !== null ? true : undefined),
        5000,
        10,
      );
      child.kill('SIGINT');
      return exited;
    },
  };
}

async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  proc: RunningProcess,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited early:\n${proc.output()}`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${proc.output()}`);
}

/** The compiled api, as `npm run start:api` runs it less the heap flags, which only tune GC, on a free port. */
export async function startApiProcess(env: Record<string, string> = {}): Promise<RunningProcess & { url: string }> {
  const port = await freePort();
  const proc = launchProcess(API_ENTRY, 'api', { PORT: String(port), ...env });
  const listensOn = env.LISTEN_HOST ?? '0.0.0.0';
  const url = `http://${['0.0.0.0', '::'].includes(listensOn) ? '127.0.0.1' : listensOn}:${port}`;
  await waitFor(
    () =>
      fetch(`${url}/api/user/events/`)
        .then(() => true)
        .catch(() => false),
    'api',
    proc,
  );
  return { ...proc, url };
}

/** The compiled worker, as `npm run start:worker` runs it less the heap flags, not waited for. */
export function launchWorkerProcess(env: Record<string, string> = {}): RunningProcess {
  return launchProcess(WORKER_ENTRY, 'worker', env);
}

/** The compiled worker, as `npm run start:worker` runs it less the heap flags, ready once it says so. */
export async function startWorkerProcess(env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = launchWorkerProcess(env);
  await waitFor(() => proc.output().includes('worker ready'), 'worker', proc);
  return proc;
}
