// The newcomer's command: build if needed, migrate, then run the api and one worker together.
import './supported-node.mjs';

import { execSync, spawn } from 'node:child_process';
import { constants } from 'node:os';

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
// Our own SIGTERM goes once: a second a few seconds after the first (the worker done while the api still drains its
// requests) would be the operator's "quit now" to an app.
let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  signalAll('SIGTERM');
}
function signalAll(signal) {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
for (const child of children) {
  child.on('exit', (code, signal) => {
    stopAll();
    // How the run ended: the first failure (an app that could not start, one the operator told to quit at once, or
    // one a signal ended, as a shell reports it: 128 + its number, 137 for the OOM killer's SIGKILL), else 0; the
    // other app's exit after our SIGTERM is a clean 0.
    process.exitCode ||= code ?? 128 + constants.signals[signal];
  });
}
// The operator's signals after the first go to the apps as they came: each app ignores one within two seconds of its
// first (the same Ctrl-C, which the terminal sent it too) and quits at once on a later one, as its stop message says.
let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (signalled) return signalAll(signal);
    signalled = true;
    stopAll();
  });
}
