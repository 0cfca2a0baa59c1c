import { parseArgs, ParseArgsConfig } from 'node:util';

import type { CommandOptions } from './run-command.js';

const USAGE = `usage: npm run cli -- <command> [options]
  (in the api image, without npm's scripts: node dist/apps/api/apps/api/src/cli/main.js <command> [options])

commands:
  migrate                                              create the database if missing and apply migrations
  createsuperuser --username U --email E               create a superuser: the password is asked for in a terminal,
    [--password-stdin | --password P]                  or read from standard input (--password P is visible to
                                                       other users in the process list, and kept in shell history)
  seed-demo                                            fill the database with demo users, events and bookings

--help (or -h) after any command prints this and does nothing else.`;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP: OptionsConfig = { help: { type: 'boolean', short: 'h' } };

/** Each command's options; anything else on its command line is refused before it touches the database. */
const COMMAND_OPTIONS: Record<string, OptionsConfig> = {
  migrate: {},
  createsuperuser: {
    username: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  'seed-demo': {},
};

class UsageError extends Error {}

async function run(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError(USAGE);
  if (['help', '--help', '-h'].includes(command)) return USAGE;
  if (!Object.hasOwn(COMMAND_OPTIONS, command)) throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  const options = optionsOf(command, rest);
  if (options.help) return USAGE;
  if (options.password !== undefined && options['password-stdin']) {
    throw new UsageError(`give the password with --password or --password-stdin, not both\n\n${USAGE}`);
  }
  // Loaded only now: Nest, TypeORM and the libraries take a second to load, which usage and --help need not wait for.
  const { runCommand } = await import('./run-command.js');
  return runCommand(command, options);
}

function optionsOf(command: string, args: string[]): CommandOptions {
  try {
    return parseArgs({ args, options: { ...COMMAND_OPTIONS[command], ...HELP }, strict: true })
      .values as CommandOptions;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
}

const MIGRATE_CANCELLED = 'cancelled: the migration in progress was stopped; run migrate again to finish';

const argv = process.argv.slice(2);

run(argv).then(
  (message) => console.log(message),
  (error: unknown) => {
    if (error instanceof UsageError) return exit(2, error.message);
    // Ctrl-C at a prompt, or during migrate.
    if ((error as Error).name === 'AbortError')
      return exit(130, argv[0] === 'migrate' ? MIGRATE_CANCELLED : 'cancelled');
    return import('./run-command.js').then(
      ({ failureLine }) => exit(1, failureLine(error, argv[0])),
      () => exit(1, `error: ${(error as Error).message}`),
    );
  },
);

function exit(code: number, message: string): void {
  console.error(message);
  process.exit(code);
}
