import { NestFactory } from '@nestjs/core';

import { describeFailure, onStopSignals, QUIT_AT_ONCE_HINT } from '@evently/common';
import { AppConfig, ConfigModule } from '@evently/config';
import { databaseFailureHint, migrateDatabase } from '@evently/database';

import { CliModule } from './cli.module';
import { createSuperuser } from './create-superuser.command';
import { seedDemo } from './seed-demo.command';

export type CommandOptions = Record<string, string | boolean | undefined>;

const log = (line: string) => console.log(line);

/** Failures reach run()'s caller as one line, instead of Nest logging their stacks and exiting by itself. */
const QUIET = { logger: false as const, abortOnError: false };

/** Runs a command whose arguments were checked; what to print once it is done. */
export async function runCommand(command: string, options: CommandOptions): Promise<string> {
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

/** A command's failure as one line, with what to check when it is the database's. */
export function failureLine(error: unknown, command: string): string {
  return `error: ${describeFailure(error)}${databaseFailureHint(error, { migrating: command === 'migrate' })}`;
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
