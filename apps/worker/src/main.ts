import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { closeOnStopSignals, describeError } from '@evently/common';
import { AppConfig, ConfigModule } from '@evently/config';
import { redisInfoRefusal } from '@evently/queue';

import { WorkerModule } from './worker.module';

/** The worker: BullMQ processors plus the outbox relay, the booking sweeper and the retention pruner; no HTTP. */
async function bootstrap(): Promise<void> {
  await refuseRedisWithoutInfo();
  // abortOnError off: a start-up failure is thrown here after Nest logged it, and exits below, where Nest would end
  // the process itself.
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true, abortOnError: false });
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

/** BullMQ cannot work for a Redis user refused INFO, and its workers spin instead of saying so: say so, and stop. */
async function refuseRedisWithoutInfo(): Promise<void> {
  const config = await NestFactory.createApplicationContext(ConfigModule, { logger: false, abortOnError: false });
  const refusal = await redisInfoRefusal(config.get(AppConfig).redisUrl);
  await config.close();
  if (refusal) {
    throw new Error(
      `Redis refuses INFO to REDIS_URL's user (${refusal}); BullMQ runs it on every connection: grant it ` +
        `(ACL SETUSER <user> +info)`,
    );
  }
}

bootstrap().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
