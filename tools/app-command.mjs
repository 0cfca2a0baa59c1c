// Each app's node arguments exactly as its `npm run start:<app>` script gives them (heap flags, then the entry),
// for the tools that start the apps themselves: `npm start`, the benchmark and the soak.
import { readFileSync } from 'node:fs';

export function appArguments(app) {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const [command, ...args] = scripts[`start:${app}`].split(/\s+/);
  if (command !== 'node') throw new Error(`start:${app} must run node directly, found "${command}"`);
  return args;
}
