import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { Module } from '@nestjs/common';
import { LoggerModule as PinoLoggerModule } from 'nestjs-pino';
import pino from 'pino';

import { AppConfig } from '@evently/config';

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie']);

/**
 * Structured JSON logs; every line of a request carries its id (also echoed as `X-Request-Id`). Lines are
 * written asynchronously (pino flushes what is buffered when the process exits): one synchronous write per
 * line cost a storm more CPU than the request's own work.
 */
@Module({
  imports: [
    PinoLoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: [
          {
            level: config.logLevel,
            genReqId: (request) => (request as { id?: string }).id ?? randomUUID(),
            // The response's headers stay out: Set-Cookie carries the queue dashboard's session token.
            serializers: {
              req: requestForLog,
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
            // Probes and scrapes arrive every few seconds from machines, not users.
            autoLogging: { ignore: (request) => /^\/api\/(health|metrics)\b/.test(request.url ?? '') },
            customLogLevel: (_request, response, error) =>
              error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
          },
          pino.destination({ sync: false }),
        ],
      }),
    }),
  ],
})
export class LoggerModule {}

interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress?: string;
  remotePort?: number;
}

/** pino's request fields with the credentials censored, by a plain copy (pino's path-based redaction cost more). */
function requestForLog(request: SerializedRequest): SerializedRequest {
  const headers: IncomingHttpHeaders = {};
  for (const name in request.headers) {
    headers[name] = CREDENTIAL_HEADERS.has(name) ? '[Redacted]' : request.headers[name];
  }
  const { id, method, url, remoteAddress, remotePort } = request;
  return { id, method, url, headers, remoteAddress, remotePort };
}
