import { AddressInfo, createServer, ListenOptions, Server } from 'node:net';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Listens on `port` through `sockets` listening sockets that share it (SO_REUSEPORT), all feeding the api's one
 * HTTP server. libuv accepts a single connection per listening socket per event-loop turn (libuv#3696), and a
 * busy api turns its loop every 50–100 ms: with one socket, the connections of an on-sale's first second waited
 * in the kernel's queue for seconds while those already accepted were served again and again. The kernel spreads
 * new connections over the sockets, so each turn accepts up to `sockets` of them. With 1, one plain socket.
 */
export async function listenOnSharedSockets(
  app: NestFastifyApplication,
  { port, host, sockets }: { port: number; host: string; sockets: number },
): Promise<void> {
  if (sockets <= 1) {
    await app.listen({ port, host });
    return;
  }
  const fastify = app.getHttpAdapter().getInstance();
  const acceptors: Server[] = [];
  closeWithServer(app, acceptors);
  // @types/node 20 lacks `reusePort` (Node.js 22.12+); every socket of the group must set it, this one too.
  await app.listen({ port, host, reusePort: true } as ListenOptions);
  const shared = { port: (fastify.server.address() as AddressInfo).port, host, reusePort: true } as ListenOptions;
  for (let i = 1; i < sockets; i++) {
    // The socket options of node:http's own server: half-open connections still get their answer.
    const acceptor = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      fastify.server.emit('connection', socket),
    );
    acceptors.push(acceptor);
    await new Promise<void>((resolve, reject) => acceptor.once('error', reject).listen(shared, resolve));
  }
}

/**
 * The extra sockets stop accepting when the server does, and the server's close waits for the connections they
 * handed over: Node counts a connection against the socket that accepted it, not the HTTP server serving it.
 */
function closeWithServer(app: NestFastifyApplication, acceptors: Server[]): void {
  const fastify = app.getHttpAdapter().getInstance();
  let closed: Promise<unknown> = Promise.resolve();
  fastify.addHook('preClose', async () => {
    closed = Promise.all(acceptors.map((acceptor) => new Promise((resolve) => acceptor.close(resolve))));
  });
  fastify.addHook('onClose', async () => {
    await closed;
  });
}
