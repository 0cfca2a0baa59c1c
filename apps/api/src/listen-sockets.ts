import { AddressInfo, createServer, ListenOptions, Server } from 'node:net';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** Where libuv supports SO_REUSEPORT for TCP; elsewhere (macOS, Windows) it refuses with ENOTSUP. */
export const SHARED_PORT_PLATFORMS: ReadonlySet<NodeJS.Platform> = new Set(['linux', 'freebsd']);

/**
 * Listens on `port` through `sockets` listening sockets that share it (SO_REUSEPORT), all feeding the api's one
 * HTTP server. libuv accepts a single connection per listening socket per event-loop turn (libuv#3696), and a
 * busy api turns its loop every 50–100 ms: with one socket, the connections of an on-sale's first second waited
 * in the kernel's queue for seconds while those already accepted were served again and again. The kernel spreads
 * new connections over the sockets, so each turn accepts up to `sockets` of them. With 1, or on a platform
 * without SO_REUSEPORT, one plain socket.
 */
export async function listenOnSharedSockets(
  app: NestFastifyApplication,
  { port, host, sockets }: { port: number; host: string; sockets: number },
): Promise<void> {
  if (sockets <= 1 || !SHARED_PORT_PLATFORMS.has(process.platform)) {
    await app.listen({ port, host });
    return;
  }
  const fastify = app.getHttpAdapter().getInstance();
  const acceptors = closedWithServer(fastify);
  // @types/node 20 lacks `reusePort` (Node.js 22.12+); every socket of the group must set it, this one too.
  await app.listen({ port, host, reusePort: true } as ListenOptions);
  const shared = { port: (fastify.server.address() as AddressInfo).port, host, reusePort: true } as ListenOptions;
  for (let i = 1; i < sockets && !acceptors.closing; i++) {
    // The socket options of node:http's own server: half-open connections still get their answer.
    const acceptor = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      fastify.server.emit('connection', socket),
    );
    acceptors.servers.push(acceptor);
    await listen(acceptor, shared);
  }
}

/** Resolves once listening, rejects on a listen error, and leaves no listener behind. */
function listen(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject).listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The extra sockets stop accepting when the server does (none is added once closing began), and the server's
 * close waits for the connections they handed over: Node counts a connection against the socket that accepted
 * it, not the HTTP server serving it.
 */
function closedWithServer(fastify: FastifyInstance): { servers: Server[]; closing: boolean } {
  const acceptors = { servers: [] as Server[], closing: false };
  let closed: Promise<unknown> = Promise.resolve();
  fastify.addHook('preClose', async () => {
    acceptors.closing = true;
    closed = Promise.all(acceptors.servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
  fastify.addHook('onClose', async () => {
    await closed;
  });
  return acceptors;
}
