import { randomUUID } from 'node:crypto';

import { Module } from '@nestjs/common';
import { LoggerModule as PinoLoggerModule } from 'nestjs-pino';

import { AppConfig } from '@evently/config';

/** Structured JSON logs; every line of a request carries its id (also echoed as `X-Request-Id`). */
@Module({
  imports: [
    PinoLoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          genReqId: (request) => (request as { id?: string }).id ?? randomUUID(),
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          // Probes and scrapes arrive every few seconds from machines, not users.
          autoLogging: { ignore: (request) => /^\/api\/(health|metrics)\b/.test(request.url ?? '') },
          customLogLevel: (_request, response, error) =>
            error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
        },
      }),
    }),
  ],
})
export class LoggerModule {}
