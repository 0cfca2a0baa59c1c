import { Module } from '@nestjs/common';
import { LoggerModule as PinoLoggerModule } from 'nestjs-pino';
import pino from 'pino';

import { AppConfig } from '@evently/config';

/**
 * Structured JSON logs through nestjs-pino, so Nest's `Logger` writes pino lines and a job or request can
 * bind its fields to every line logged while it runs (`PinoLogger.runInContext`). The api logs its requests
 * with Fastify hooks (apps/api/src/common/request-log.ts), not with nestjs-pino's middleware (`forRoutes: []`).
 * Lines are written asynchronously (pino flushes what is buffered when the process exits): one synchronous
 * write per line cost a storm more CPU than the request's own work.
 */
@Module({
  imports: [
    PinoLoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        forRoutes: [],
        pinoHttp: [{ level: config.logLevel, wrapSerializers: false }, pino.destination({ sync: false })],
      }),
    }),
  ],
})
export class LoggerModule {}
