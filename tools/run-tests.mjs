// `npm test`: every suite in turn (unit and end-to-end, faults, browser), stopping at the first that fails. Arguments
// after `--` (a path pattern, `-t name`) go to every suite, and a suite they leave without tests passes. A suite whose
// tools this machine lacks is skipped with a warning, except under CI (`CI` set), where that is a failure.
import './supported-node.mjs';

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const JEST = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js'];
const filters = process.argv.slice(2);

const onPath = (command) =>
  (process.env.PATH ?? '').split(delimiter).some((directory) => existsSync(join(directory, command)));
const postgresBinaries = () =>
  existsSync('/usr/lib/postgresql') &&
  readdirSync('/usr/lib/postgresql').some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`));

const SUITES = [
  { name: 'unit and end-to-end', args: ['--selectProjects', 'unit', 'e2e', '--runInBand'] },
  {
    name: 'faults',
    args: ['--config', 'jest.faults.config.js', '--runInBand'],
    missing: () =>
      [
        !postgresBinaries() && 'PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin',
        !onPath('redis-server') && 'redis-server on the PATH',
      ].filter(Boolean),
  },
  {
    name: 'browser',
    args: ['--selectProjects', 'browser', '--runInBand'],
    missing: () => (existsSync('/usr/bin/chromium') ? [] : ["Debian's chromium at /usr/bin/chromium"]),
  },
];

const runnable = [];
const skipped = [];
for (const suite of SUITES) {
  const missing = suite.missing?.() ?? [];
  if (missing.length === 0) {
    runnable.push(suite);
    continue;
  }
  const reason = `the ${suite.name} suite needs ${missing.join(' and ')}`;
  if (process.env.CI) {
    console.error(`test: ${reason}`);
    process.exit(1);
  }
  console.warn(`test: SKIPPING, ${reason} (npm run test:${suite.name} once installed)`);
  skipped.push(suite.name);
}

for (const suite of runnable) {
  console.log(`test: the ${suite.name} suite`);
  const extra = filters.length > 0 ? [...filters, '--passWithNoTests'] : [];
  const { status } = spawnSync(process.execPath, [...JEST, ...suite.args, ...extra], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
if (skipped.length > 0) console.warn(`test: passed, but the ${skipped.join(' and ')} suite did not run`);
