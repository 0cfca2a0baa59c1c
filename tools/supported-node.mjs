// Run before anything else: by npm ci and npm install (package.json's preinstall), and imported first by the scripts
// that build or start Evently (ensure-built.mjs, start-all.mjs, the bench and the soak) and by the test setup. On a
// Node.js older than package.json's "engines", NestJS 12's ES modules, which the compiled apps load through
// require(esm), crash the process with a bare "Segmentation fault" (Node 20), so these stop with a message instead.
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Whether `version` (e.g. "24.9.0") satisfies `range`, which must have the form ">=major.minor.patch". */
function satisfies(version, range) {
  const minimum = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!minimum) throw new Error(`package.json engines.node must read ">=major.minor.patch", not "${range}"`);
  const actual = version.split('.').map(Number);
  for (let part = 0; part < 3; part++) {
    if (actual[part] !== Number(minimum[part + 1])) return actual[part] > Number(minimum[part + 1]);
  }
  return true;
}

/** Exits with a message when `version` does not satisfy package.json's engines.node. */
export function requireSupportedNode(version = process.versions.node) {
  if (satisfies(version, engines.node)) return;
  console.error(
    `Evently needs Node.js ${engines.node.replace('>=', '')} or newer (package.json "engines"); this is v${version}.\n` +
      'Install a newer Node.js (e.g. `nvm install 24`), or run `source .ci/node-env.sh`, which puts one in .tools/.',
  );
  process.exit(1);
}

requireSupportedNode();
