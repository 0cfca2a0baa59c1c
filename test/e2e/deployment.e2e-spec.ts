import { readFileSync } from 'node:fs';

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
