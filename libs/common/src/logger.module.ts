import { Module } from '@nestjs/common';
import { LoggerModule as PinoLoggerModule } from 'nestjs-pino';

import { AppConfig } from '@evently/config';

import { LogLineBatch } from './log-line-batch';

/** Log lines are written in batches of about this many characters, or whatever is gathered every LOG_FLUSH_MS. */
const LOG_WRITE_CHARACTERS = 4096;
const LOG_FLUSH_MS = 250;

/**
 * Structured JSON logs through nestjs-pino, so Nest's `Logger` writes pino lines and a job or request can
 * bind its fields to every line logged while it runs (`PinoLogger.runInContext`). The api logs its requests
 * with Fastify hooks (apps/api/src/common/request-log.ts), not with nestjs-pino's middleware (`forRoutes: []`).
 * Lines are written asynchronously and in batches (see LogLineBatch; what is gathered is written when the process
 * exits): a synchronous write per line cost a storm more CPU than the request's own work, and at a line per
 * millisecond, where lines do not pile up behind a write in flight, an asynchronous write per line cost 30–45 µs
 * of CPU more per line than batches.
 */
@Module({
  imports: [
    PinoLoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        forRoutes: [],
        pinoHttp: [
          { level: config.logLevel, wrapSerializers: false },
          new LogLineBatch(process.stdout.fd, LOG_WRITE_CHARACTERS, LOG_FLUSH_MS),
        ],
      }),
    }),
  ],
})
export class LoggerModule {}
