import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { closeOnStopSignals, describeFailure } from '@evently/common';
import { databaseFailureHint } from '@evently/database';

import { WorkerModule } from './worker.module';

/** The worker: BullMQ processors plus the outbox relay, the booking sweeper and the retention pruner; no HTTP. */
async function bootstrap(): Promise<void> {
  // abortOnError off: a start-up failure is thrown here and exits below with one line, where Nest would end the
  // process itself; Nest's own logger off until pino's is in place, as in the api (apps/api/src/api-app.ts).
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    bufferLogs: true,
    abortOnError: false,
    logger: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // Nest's own shutdown hooks ignore every signal after the first, and closing waits for Redis: with Redis away, a
  // worker told to stop never did. Here a second signal a few seconds later quits at once, as the api's does.
  closeOnStopSignals(
    (signal, hint) =>
      new NestLogger('Worker').log({ signal }, `worker told to stop: finishing the active jobs…${hint}`),
    () => app.close(),
  );
  logger.log('Evently worker ready: processing the bookings and mail queues');
}

bootstrap().catch((error: unknown) => {
  console.error(`${describeFailure(error)}${databaseFailureHint(error)}`);
  process.exit(1);
});
