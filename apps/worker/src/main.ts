import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { describeError } from '@evently/common';

import { WorkerModule } from './worker.module';

/** The worker: BullMQ processors plus the outbox relay, the booking sweeper and the retention pruner; no HTTP. */
async function bootstrap(): Promise<void> {
  // abortOnError off: a start-up failure is thrown here after Nest logged it, and exits below, where Nest would end
  // the process itself.
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // Exit rather than re-raise the signal once the shutdown hooks ran: only an 'exit' lets the log batch write the
  // lines it still holds (LogLineBatch), the shutdown's own among them.
  app.enableShutdownHooks([], { useProcessExit: true });
  await app.init();
  logger.log('Evently worker ready: processing the bookings and mail queues');
}

bootstrap().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
