import { parseArgs, ParseArgsConfig } from 'node:util';

import { NestFactory } from '@nestjs/core';

import { describeFailure, onStopSignals, QUIT_AT_ONCE_HINT } from '@evently/common';
import { AppConfig, ConfigModule } from '@evently/config';
import { databaseFailureHint, migrateDatabase } from '@evently/database';

import { CliModule } from './cli.module';
import { createSuperuser } from './create-superuser.command';
import { seedDemo } from './seed-demo.command';

const USAGE = `usage: npm run cli -- <command> [options]
  (in the api image, without npm's scripts: node dist/apps/api/apps/api/src/cli/main.js <command> [options])

commands:
  migrate                                              create the database if missing and apply migrations
  createsuperuser --username U --email E               create a superuser: the password is asked for in a terminal,
    [--password-stdin | --password P]                  or read from standard input (--password P is visible to
                                                       other users in the process list, and kept in shell history)
  seed-demo                                            fill the database with demo users, events and bookings

--help (or -h) after any command prints this and does nothing else.`;

type CommandOptions = NonNullable<ParseArgsConfig['options']>;

const HELP: CommandOptions = { help: { type: 'boolean', short: 'h' } };

/** Each command's options; anything else on its command line is refused before it touches the database. */
const COMMAND_OPTIONS: Record<string, CommandOptions> = {
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

const log = (line: string) => console.log(line);

/** Failures reach run()'s caller as one line, instead of Nest logging their stacks and exiting by itself. */
const QUIET = { logger: false as const, abortOnError: false };

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
  if (command === 'migrate') {
    const context = await NestFactory.createApplicationContext(ConfigModule, QUIET);
    await migrateDatabase(context.get(AppConfig).databaseUrl, log, interruption());
    await context.close();
    return 'Migrations complete.';
  }
  const app = await NestFactory.createApplicationContext(CliModule, QUIET);
  try {
    return command === 'createsuperuser' ? await createSuperuser(app, options) : await seedDemo(app, log);
  } finally {
    await app.close();
  }
}

/**
 * Aborted by the first Ctrl-C or SIGTERM, which then stop the migration in progress on the server as well; another
 * one, two seconds later or more, ends the process at once.
 */
function interruption(): AbortSignal {
  const interrupted = new AbortController();
  onStopSignals(() => {
    console.error(`stopping the migration in progress… ${QUIT_AT_ONCE_HINT}`);
    interrupted.abort();
  });
  return interrupted.signal;
}

function optionsOf(command: string, args: string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: { ...COMMAND_OPTIONS[command], ...HELP }, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
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
    const hint = databaseFailureHint(error, { migrating: argv[0] === 'migrate' });
    exit(1, `error: ${describeFailure(error)}${hint}`);
  },
);

function exit(code: number, message: string): void {
  console.error(message);
  process.exit(code);
}
