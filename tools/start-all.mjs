// The newcomer's command: build if needed, migrate, then run the api and one worker together.
import './supported-node.mjs';

import { execSync, spawn } from 'node:child_process';

import { appArguments } from './app-command.mjs';

/** Runs a step; when it fails, its own output has said why, so exit with its status rather than a stack trace. */
function run(command) {
  try {
    execSync(command, { stdio: 'inherit' });
  } catch (error) {
    process.exit(error.status ?? 1);
  }
}

run('node tools/ensure-built.mjs');
console.log('Applying database migrations...');
run('node dist/apps/api/apps/api/src/cli/main.js migrate');

const children = [
  spawn(process.execPath, appArguments('api'), { stdio: 'inherit' }),
  spawn(process.execPath, appArguments('worker'), { stdio: 'inherit' }),
];
// Told once: a second SIGTERM a few seconds after the first (the worker done while the api still drains its requests)
// would be the operator's "quit now" to an app.
let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
for (const child of children) {
  child.on('exit', (code) => {
    stopAll();
    // The first to exit says how the run ended: the other's exit after our SIGTERM is a clean 0.
    process.exitCode ??= code ?? 1;
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stopAll);
