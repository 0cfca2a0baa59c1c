import { existsSync, readFileSync } from 'node:fs';

import dockerignore from '@balena/dockerignore';

/** The container images start each app as its npm start script does, heap flags included. */
describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

  it.each(['api', 'worker'])('starts the %s as its npm start script does', (app) => {
    const stage = dockerfile.split(/^FROM /m).find((text) => text.startsWith(`runtime AS ${app}\n`));
    const command = /^CMD (\[.*\])$/m.exec(stage ?? '')?.[1];
    expect(command && JSON.parse(command)).toEqual(scripts[`start:${app}`].split(/\s+/));
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
