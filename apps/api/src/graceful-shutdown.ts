import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { closeOnStopSignals, ServiceUnavailableError } from '@evently/common';

import { replyToError } from './common/http-exception.filter';

/** How long requests already received may take to finish once the api is told to stop. */
const SHUTDOWN_GRACE_MS = 8000;

/**
 * While the server closes, every response carries `Connection: close` and idle keep-alive sockets are
 * closed, so clients that keep connections open cannot hold the process for Fastify's 72 s keep-alive;
 * after the grace period whatever is still open is cut. A request that arrives on a kept-alive
 * connection meanwhile gets a 503 in the contract's error shape.
 */
export function closeConnectionsOnClose(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
    fastify.server.closeIdleConnections();
    setTimeout(() => fastify.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    replyToError(new ServiceUnavailableError('The server is shutting down; retry.'), request, reply);
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * On SIGTERM or SIGINT: first stop accepting and finish the requests already received, then run Nest's
 * shutdown hooks, which close Redis, BullMQ and database connections. Nest's own shutdown hooks would
 * close those connections first, under the requests still using them. The same Ctrl-C arriving twice does not
 * cut this short; a second one a few seconds later does.
 */
export function shutDownOnSignals(app: NestFastifyApplication): void {
  closeOnStopSignals(
    (signal, hint) => console.error(`stopping on ${signal}: finishing the requests received…${hint}`),
    async () => {
      await app.getHttpAdapter().close();
      await app.close();
    },
  );
}
