import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { WorkerModule } from './worker.module';

/** The worker: BullMQ processors plus the outbox relay and the booking sweeper; no HTTP. */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.enableShutdownHooks();
  await app.init();
  logger.log('Evently worker ready: processing the bookings and mail queues');
}

bootstrap().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
