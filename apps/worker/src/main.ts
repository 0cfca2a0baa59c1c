import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { describeError, onStopSignals } from '@evently/common';

import { WorkerModule } from './worker.module';

/** The worker: BullMQ processors plus the outbox relay, the booking sweeper and the retention pruner; no HTTP. */
async function bootstrap(): Promise<void> {
  // abortOnError off: a start-up failure is thrown here after Nest logged it, and exits below, where Nest would end
  // the process itself.
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // Nest's own shutdown hooks ignore every signal after the first, and closing waits for Redis: with Redis away, a
  // worker told to stop never did. Here a second signal a few seconds later quits at once, as the api's does. Exit
  // rather than re-raise the signal once the hooks ran: only an 'exit' lets the log batch write the lines it still
  // holds (LogLineBatch), the shutdown's own among them.
  onStopSignals((signal) => {
    const again = signal === 'SIGINT' ? ' (press Ctrl-C again, a few seconds later, to quit at once)' : '';
    new NestLogger('Worker').log({ signal }, `worker told to stop: finishing the active jobs…${again}`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown failed: ${describeError(error)}`);
        process.exit(1);
      },
    );
  });
  logger.log('Evently worker ready: processing the bookings and mail queues');
}

bootstrap().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
