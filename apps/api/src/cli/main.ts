import { parseArgs, ParseArgsConfig } from 'node:util';

import { NestFactory } from '@nestjs/core';

import { describeError } from '@evently/common';
import { AppConfig, ConfigModule } from '@evently/config';
import { migrateDatabase } from '@evently/database';

import { CliModule } from './cli.module';
import { createSuperuser } from './create-superuser.command';
import { seedDemo } from './seed-demo.command';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  migrate                                              create the database if missing and apply migrations
  createsuperuser --username U --email E --password P  create a superuser (prompts for what is missing in a terminal)
  seed-demo                                            fill the database with demo users, events and bookings

--help (or -h) after any command prints this and does nothing else.`;

type CommandOptions = NonNullable<ParseArgsConfig['options']>;

const HELP: CommandOptions = { help: { type: 'boolean', short: 'h' } };

/** Each command's options; anything else on its command line is refused before it touches the database. */
const COMMAND_OPTIONS: Record<string, CommandOptions> = {
  migrate: {},
  createsuperuser: { username: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
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
  if (command === 'migrate') {
    const context = await NestFactory.createApplicationContext(ConfigModule, QUIET);
    await migrateDatabase(context.get(AppConfig).databaseUrl, log);
    await context.close();
    return 'Migrations complete.';
  }
  const app = await NestFactory.createApplicationContext(CliModule, QUIET);
  try {
    return command === 'createsuperuser'
      ? await createSuperuser(app, options as Record<string, string>)
      : await seedDemo(app, log);
  } finally {
    await app.close();
  }
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

run(process.argv.slice(2)).then(
  (message) => console.log(message),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : `error: ${describeError(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
