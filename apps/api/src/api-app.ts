import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';

import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';

import { AppConfig } from '@evently/config';

import { ApiModule } from './api.module';
import { setupSwagger } from './common/swagger';
import { registerHttpMetrics } from './metrics/http-metrics';
import { registerQueueDashboard } from './queue-dashboard/queue-dashboard';

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Builds the configured api application (not yet listening); main.ts and the e2e tests both use it. */
export async function createApiApp(): Promise<NestFastifyApplication> {
  const config = AppConfig.fromEnvironment();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.setGlobalPrefix('api');
  // helmet's defaults, less upgrade-insecure-requests: over plain http on a non-loopback host (a container,
  // a LAN server) it sends Swagger UI's assets to https:// and the docs page renders blank.
  app.useSecurityHeaders({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins, credentials: false });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    (request.raw as { id?: string }).id = request.id;
    if (!isAllowedHost(request.hostname, config.allowedHosts)) {
      await reply.status(400).send({ error: 'Invalid host header.', details: request.hostname });
    }
  });

  registerHttpMetrics(app);
  registerQueueDashboard(app);
  setupSwagger(app);
  return app;
}

function isAllowedHost(hostname: string, allowed: string[]): boolean {
  if (allowed.includes('*')) return true;
  const host = hostname.replace(/:\d+$/, '').toLowerCase();
  return allowed.some((pattern) => {
    const entry = pattern.toLowerCase();
    return entry.startsWith('.') ? host === entry.slice(1) || host.endsWith(entry) : host === entry;
  });
}
