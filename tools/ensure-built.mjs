// Builds both apps when dist/ is missing or older than any source file, so `npm start`,
// `npm run migration:run` and `npm run cli` work straight after `npm ci`.
import './supported-node.mjs';

import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUTPUTS = ['dist/apps/api/apps/api/src/main.js', 'dist/apps/worker/apps/worker/src/main.js'];

function newestSource(directory) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.hbs'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const builtAt = Math.min(...OUTPUTS.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
// Besides the sources, what shapes the build: compiler and Nest CLI options (the Swagger plugin, the mail templates'
// copy) and the installed packages.
const BUILD_INPUTS = [
  'tsconfig.json',
  'apps/api/tsconfig.app.json',
  'apps/worker/tsconfig.app.json',
  'nest-cli.json',
  'package-lock.json',
];
const changedAt = Math.max(
  newestSource('apps'),
  newestSource('libs'),
  ...BUILD_INPUTS.filter((file) => existsSync(file)).map((file) => statSync(file).mtimeMs),
);
if (builtAt < changedAt) {
  console.log('Building api and worker (sources changed since the last build)...');
  try {
    execSync('npm run -s build', { stdio: 'inherit' });
  } catch (error) {
    // The compiler has printed the errors; a stack trace of execSync would only bury them.
    process.exit(error.status ?? 1);
  }
}
