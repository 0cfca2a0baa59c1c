import { once } from 'node:events';
import { AddressInfo, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { eventually } from '@evently/testing';

import { createTestApp } from '../support/test-app';

describe('an api that is closing', () => {
  it('answers a request that arrives meanwhile with 503 in the error shape, its request id and Connection: close', async () => {
    const app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer();
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // Half a request: the connection is not idle, so closing leaves it open for the rest.
    socket.write('GET /api/user/events/ HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: sent-while-closing\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const ended = once(socket, 'end');

    const closing = app.getHttpAdapter().close();
    await eventually(async () => (server.listening ? undefined : true));
    socket.write('\r\n');
    await ended;
    await closing;
    await app.close();

    const [head, body] = answer.split('\r\n\r\n');
    const [statusLine, ...headerLines] = head.split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    expect(statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(headers['x-request-id']).toBe('sent-while-closing');
    expect(headers.connection).toBe('close');
    expect(headers['retry-after']).toBe('1');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(body)).toEqual({ error: 'The server is shutting down; retry.', details: null });
  });

  it('cuts a connection still open 8 s on, so a client that stalls mid-request cannot hold a stopping api', async () => {
    const app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // Half a request, never finished: Node itself would wait 60 s for the rest of its headers.
    socket.write('GET /api/user/events/ HTTP/1.1\r\nHost: localhost\r\n');
    const cut = once(socket, 'close');
    try {
      const closing = app.getHttpAdapter().close();
      const outcome = await Promise.race([closing.then(() => 'closed'), sleep(12_000, 'still open', { ref: false })]);
      expect(outcome).toBe('closed');
      await cut;
    } finally {
      socket.destroy();
      await app.close();
    }
  }, 20_000);
});
