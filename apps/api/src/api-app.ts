import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';

import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';

import { BadRequestError } from '@evently/common';
import { AppConfig } from '@evently/config';

import { ApiModule } from './api.module';
import { registerAnswerReplay } from './common/answer-replay';
import { ApiFastifyAdapter } from './common/api-fastify-adapter';
import { BODY_LIMIT_BYTES } from './common/body-limits';
import { replyToClientError } from './common/client-error';
import { multipartBodyParser, otherBodyParser, urlencodedBodyParser } from './common/form-body.parser';
import { HostCheck } from './common/host-header';
import { replyToError } from './common/http-exception.filter';
import { jsonBodyParser } from './common/json-body.parser';
import { parseQueryAsDjango } from './common/query-string.parser';
import { registerRequestLog } from './common/request-log';
import { MAX_PARAM_LENGTH } from './common/routed-methods';
import { setupSwagger } from './common/swagger';
import { closeConnectionsOnClose } from './graceful-shutdown';
import { registerHttpMetrics } from './metrics/http-metrics';
import { registerQueueDashboard } from './queue-dashboard/queue-dashboard';

/**
 * helmet's defaults (Nest's built-in), less:
 * - CSP's upgrade-insecure-requests: over plain http on a non-loopback host (a container, a LAN server) it sends
 *   Swagger UI's assets to https:// and the docs page renders blank;
 * - four headers that every response paid for (docs/performance-history.md, round 10) and that protect nothing here:
 *   X-XSS-Protection (deprecated by OWASP; the filter it switched off is gone from every browser),
 *   X-Download-Options (Internet Explorer 8), X-DNS-Prefetch-Control and Origin-Agent-Cluster (hints for HTML
 *   documents, of which this api serves only the docs and the queue dashboard, and neither needs them).
 * The other eight stay, among them all that OWASP's REST cheat sheet asks of an API's responses and helmet sends.
 */
const SECURITY_HEADERS = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  xXssProtection: false,
  xDownloadOptions: false,
  xDnsPrefetchControl: false,
  originAgentCluster: false,
} as const;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The headers a client acts on that are not CORS-safelisted: without this, a browser's script reads each as null. */
const EXPOSED_HEADERS = ['Retry-After', 'Idempotent-Replayed', 'X-Request-Id', 'Allow', 'WWW-Authenticate'];

/** Builds the configured api application (not yet listening); main.ts and the e2e tests both use it. */
export async function createApiApp(): Promise<NestFastifyApplication> {
  const config = AppConfig.fromEnvironment();
  const adapter: ApiFastifyAdapter = new ApiFastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    routerOptions: {
      ignoreTrailingSlash: true,
      maxParamLength: MAX_PARAM_LENGTH,
      querystringParser: parseQueryAsDjango,
    },
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // graceful-shutdown.ts answers requests that arrive while closing, in the contract's error shape.
    return503OnClosing: false,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      adapter.applySecurityHeaders(request, reply);
      replyToError(error, request, reply);
    },
    clientErrorHandler: replyToClientError,
  });
  // abortOnError off: a start-up failure (database unreachable, say) is thrown to the caller, so main exits 1 with its
  // message and a test sees the error, where Nest would end the process itself. Nest's own logger off until pino's is
  // in place: a start that fails while the app is created (a database login refused, say) is then main's report, not
  // Nest's stack traces around it; a later failure (the port taken) comes after pino's lines. The lines of a start
  // that succeeds are kept and written by pino.
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, {
    bufferLogs: true,
    abortOnError: false,
    logger: false,
  });
  app.useLogger(app.get(Logger));
  await registerRequestLog(app);
  app.setGlobalPrefix('api');
  app.useSecurityHeaders(SECURITY_HEADERS);
  // Not strict: an OPTIONS that is no preflight would get @fastify/cors's text/plain 400, outside the error shape.
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: false,
      strictPreflight: false,
      exposedHeaders: EXPOSED_HEADERS,
    });
  }

  const fastify = app.getHttpAdapter().getInstance();
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT_BYTES }, jsonBodyParser(fastify));
  app.useBodyParser('multipart/form-data', { bodyLimit: BODY_LIMIT_BYTES }, multipartBodyParser);
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: BODY_LIMIT_BYTES }, urlencodedBodyParser);
  // Straight on Fastify: a catch-all given to Nest would stand in for the form-urlencoded parser Nest adds at init.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, otherBodyParser);
  const hostCheck = new HostCheck(config.allowedHosts);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (hostCheck.allows(request.host)) return done();
    replyToError(new BadRequestError('Invalid host header.', String(request.host ?? '')), request, reply);
  });
  // After the hook above, so that the 503s of a closing api carry their request id too.
  closeConnectionsOnClose(app);

  registerAnswerReplay(app);
  registerHttpMetrics(app);
  registerQueueDashboard(app);
  setupSwagger(app);
  return app;
}
