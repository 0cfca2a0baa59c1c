import { NestFactory } from '@nestjs/core';

import { AppConfig, ConfigModule } from '@evently/config';
import { migrateDatabase } from '@evently/database';

import { parseOptions } from './cli-args';
import { CliModule } from './cli.module';
import { createSuperuser } from './create-superuser.command';
import { seedDemo } from './seed-demo.command';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  migrate                                              create the database if missing and apply migrations
  createsuperuser --username U --email E --password P  create a superuser (prompts for what is missing in a terminal)
  seed-demo                                            fill the database with demo users, events and bookings`;

const log = (line: string) => console.log(line);

async function run(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') return USAGE;
  if (command === 'migrate') {
    const context = await NestFactory.createApplicationContext(ConfigModule, { logger: ['error'] });
    await migrateDatabase(context.get(AppConfig).databaseUrl, log);
    await context.close();
    return 'Migrations complete.';
  }
  if (command !== 'createsuperuser' && command !== 'seed-demo')
    throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  const options = parseOptions(rest);
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    return command === 'createsuperuser' ? await createSuperuser(app, options) : await seedDemo(app, log);
  } finally {
    await app.close();
  }
}

run(process.argv.slice(2)).then(
  (message) => console.log(message),
  (error: Error & { details?: unknown }) => {
    const details = error.details ? ` ${JSON.stringify(error.details)}` : '';
    console.error(`error: ${error.message}${details}`);
    process.exit(1);
  },
);
