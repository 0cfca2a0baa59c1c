import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../support/processes';

/** A child process this suite started, with its recent output for error messages. */
class OwnedProcess {
  private output = '';
  readonly exited: Promise<unknown>;

  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    }
    this.exited = once(child, 'exit');
    LIVE.add(child);
    void this.exited.then(() => LIVE.delete(child));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.exited;
  }
}

/** Whatever a crashed test run left behind is killed when the Jest worker exits. */
const LIVE = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of LIVE) child.kill('SIGKILL');
});

const POSTGRES_BIN = (() => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return `/usr/lib/postgresql/${versions[0]}/bin`;
})();

/** PostgreSQL refuses to run as root; as root, run its binaries as the `postgres` user (setpriv execs in place). */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A PostgreSQL cluster of the suite's own, in a temporary folder, that can be stopped and started again
 * on the same port. fsync is off: the data is thrown away, and the suite stops the server cleanly
 * (fast shutdown), so durability across power loss is not what it tests.
 */
export class OwnedPostgres {
  private process?: OwnedProcess;

  private constructor(
    readonly folder: string,
    readonly port: number,
  ) {}

  static async create(): Promise<OwnedPostgres> {
    const folder = mkdtempSync(join(tmpdir(), 'evently-faults-pg-'));
    if (process.getuid?.() === 0) chownSync(folder, Number(execFileSync('id', ['-u', 'postgres'])), 0);
    const [command, args] = asPostgresUser(`${POSTGRES_BIN}/initdb`, [
      '-D',
      join(folder, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    execFileSync(command, args, { stdio: 'pipe' });
    const cluster = new OwnedPostgres(folder, await freePort());
    await cluster.start();
    return cluster;
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const [command, args] = asPostgresUser(`${POSTGRES_BIN}/postgres`, [
      '-D',
      join(this.folder, 'data'),
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.folder}`,
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=100',
    ]);
    this.process = new OwnedProcess(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    await until(() => {
      if (!this.process!.running) throw new Error(`postgres exited:\n${this.process!.log}`);
      return this.process!.log.includes('ready to accept connections');
    }, 'postgres');
  }

  /** Fast shutdown: clients are disconnected, as when an operator restarts the database. */
  async stop(): Promise<void> {
    await this.process?.signal('SIGINT');
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** A redis-server of the suite's own, without persistence unless asked to save before stopping. */
export class OwnedRedis {
  private process?: OwnedProcess;

  private constructor(
    readonly folder: string,
    readonly port: number,
  ) {}

  static async create(): Promise<OwnedRedis> {
    const redis = new OwnedRedis(mkdtempSync(join(tmpdir(), 'evently-faults-redis-')), await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts again on the same port: empty, or from the snapshot {@link stop} saved. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.folder];
    args.push('--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction');
    this.process = new OwnedProcess(spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    await until(() => {
      if (!this.process!.running) throw new Error(`redis exited:\n${this.process!.log}`);
      return this.process!.log.includes('Ready to accept connections');
    }, 'redis');
  }

  /** Stops Redis. With `keepData` it snapshots first, as a Redis with persistence would come back. */
  async stop({ keepData = false } = {}): Promise<void> {
    if (!this.process?.running) return;
    if (keepData) execFileSync('redis-cli', ['-p', String(this.port), 'SAVE'], { stdio: 'pipe' });
    else rmSync(join(this.folder, 'dump.rdb'), { force: true });
    await this.process.signal('SIGKILL');
  }

  keys(pattern: string): string[] {
    return this.command('KEYS', pattern).split('\n').filter(Boolean);
  }

  /** Makes every write fail with an OOM error reply while connections stay up, as a full Redis does. */
  refuseWrites(refuse: boolean): void {
    this.command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    this.command('CONFIG', 'SET', 'maxmemory', refuse ? '1' : '0');
  }

  private command(...args: string[]): string {
    return execFileSync('redis-cli', ['-p', String(this.port), '--raw', ...args]).toString();
  }

  /** Freezes the server: connections stay open but nothing answers, as with a hung Redis. */
  pause(): void {
    this.process?.child.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.child.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.stop();
    if (existsSync(this.folder)) rmSync(this.folder, { recursive: true, force: true });
  }
}
