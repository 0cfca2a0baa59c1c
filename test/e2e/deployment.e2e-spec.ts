import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import dockerignore from '@balena/dockerignore';

import { freePort, startApiProcess } from '../support/processes';

/** The container images start each app as its npm start script does, heap flags included. */
describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

  const stageOf = (app: string) => dockerfile.split(/^FROM /m).find((text) => text.startsWith(`runtime AS ${app}\n`));

  it.each(['api', 'worker'])('starts the %s as its npm start script does', (app) => {
    const command = /^CMD (\[.*\])$/m.exec(stageOf(app) ?? '')?.[1];
    expect(command && JSON.parse(command)).toEqual(scripts[`start:${app}`].split(/\s+/));
  });

  it.each(['api', 'worker'])("checks the %s's own health in its image's HEALTHCHECK", (app) => {
    const check = /^\s*CMD (\[.*\])$/m.exec(stageOf(app)?.split('HEALTHCHECK')[1] ?? '')?.[1];
    expect(check && JSON.parse(check)).toEqual(['node', 'tools/docker-healthcheck.mjs', app]);
  });
});

/** Every file a build stage copies from the context gets past .dockerignore's allowlist, or the build stops. */
describe('.dockerignore', () => {
  const ignored = dockerignore({ ignorecase: false }).add(readFileSync('.dockerignore', 'utf8'));
  const sources = readFileSync('Dockerfile', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));

  it.each(sources)('lets %s into the build context', (source) => {
    expect(existsSync(source)).toBe(true);
    expect(ignored.ignores(source)).toBe(false);
  });
});

/** The compiled api as an operator starts it, configured by its environment and `.env` (README, Configuration). */
describe('the compiled api', () => {
  const onLinux = process.platform === 'linux' ? it : it.skip;

  // Linux routes the whole of 127.0.0.0/8 to the loopback interface: 127.0.0.2 is another local address.
  onLinux('listens on LISTEN_HOST alone: bound to 127.0.0.1, it is not reached through another address', async () => {
    const api = await startApiProcess({ LISTEN_HOST: '127.0.0.1' });
    try {
      const { port } = new URL(api.url);
      await expect(fetch(`http://127.0.0.2:${port}/api/user/events/`)).rejects.toThrow();
    } finally {
      await api.stop();
    }
  });

  it('reads .env in its working directory for what the environment leaves unset: a bad value there stops it, naming it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'evently-dotenv-'));
    writeFileSync(join(folder, '.env'), 'LISTEN_HOST=not-an-address\n');
    // Outside the tests' NODE_ENV=test, which alone turns .env off.
    const env = { ...process.env, NODE_ENV: undefined, LISTEN_HOST: undefined, PORT: String(await freePort()) };
    const api = spawn(process.execPath, [resolve('dist/apps/api/apps/api/src/main.js')], { cwd: folder, env });
    let output = '';
    for (const stream of [api.stdout, api.stderr]) stream.on('data', (chunk) => (output += chunk));
    try {
      const exited = once(api, 'exit').then(([code]) => code as number | null);
      expect(await Promise.race([exited, sleep(20_000, 'still running', { ref: false })])).toBe(1);
      expect(output).toMatch(/LISTEN_HOST: /);
    } finally {
      api.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
