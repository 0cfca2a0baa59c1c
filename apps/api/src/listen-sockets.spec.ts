import { AddressInfo, connect } from 'node:net';

import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

import { tcpSocketsOn } from '@evently/testing';

import { listenOnSharedSockets, SHARED_PORT_PLATFORMS } from './listen-sockets';

@Controller()
class PingController {
  @Get('ping')
  ping(): { pong: true } {
    return { pong: true };
  }

  @Get('slow')
  async slow(): Promise<{ pong: true }> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { pong: true };
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

const BURST = 64;
const BUSY_TURN_MS = 20;

describe('listenOnSharedSockets', () => {
  let app: NestFastifyApplication;

  beforeEach(async () => {
    app = await NestFactory.create<NestFastifyApplication>(PingModule, new FastifyAdapter(), { logger: false });
  });

  afterEach(async () => {
    await app.close();
  });

  // Turns of a loop kept busy like a loaded api's, counted rather than timed: with one listening socket libuv
  // accepts a single connection per turn, so the burst would need 64 turns.
  const onSharedPorts = SHARED_PORT_PLATFORMS.has(process.platform) ? it : it.skip;

  onSharedPorts('accepts a burst of new connections within a few turns of a busy event loop', async () => {
    await listenOnSharedSockets(app, { port: 0, host: '127.0.0.1', sockets: 32 });
    const server = app.getHttpAdapter().getInstance().server;
    let accepted = 0;
    server.on('connection', () => accepted++);
    const { port } = server.address() as AddressInfo;

    const clients = Array.from({ length: BURST }, () => connect(port, '127.0.0.1'));
    try {
      await Promise.all(clients.map((client) => new Promise((resolve) => client.once('connect', resolve))));
      const turns = await busyTurnsUntil(() => accepted === BURST, 16);

      expect(accepted).toBe(BURST);
      expect(turns).toBeLessThan(16);
    } finally {
      clients.forEach((client) => client.destroy());
    }
  });

  it('serves requests on every socket, and on close answers those in flight before it resolves', async () => {
    await listenOnSharedSockets(app, { port: 0, host: '127.0.0.1', sockets: 8 });
    const server = app.getHttpAdapter().getInstance().server;
    const { port } = server.address() as AddressInfo;
    const pong = /^HTTP\/1\.1 200 [^]*\{"pong":true\}$/;

    // Connections spread over the eight sockets, so most land on one other than Nest's own.
    const answers = await Promise.all(Array.from({ length: 32 }, () => get(port, '/ping')));
    expect(answers.filter((answer) => !pong.test(answer))).toEqual([]);

    let received = 0;
    let finished = 0;
    server.on('request', (_request, response) => {
      received++;
      response.on('finish', () => finished++);
    });
    const inFlight = Array.from({ length: 16 }, () => get(port, '/slow'));
    await busyTurnsUntil(() => received === inFlight.length, 1000, 0);
    await app.close();
    expect(finished).toBe(inFlight.length);
    expect((await Promise.all(inFlight)).filter((answer) => !pong.test(answer))).toEqual([]);
    await expect(get(port, '/ping')).rejects.toThrow(/ECONNREFUSED/);
    app = await NestFactory.create<NestFastifyApplication>(PingModule, new FastifyAdapter(), { logger: false });
  });

  it('with one socket listens as a plain one: a second api started on its port fails with EADDRINUSE', async () => {
    await listenOnSharedSockets(app, { port: 0, host: '127.0.0.1', sockets: 1 });
    const { port } = app.getHttpAdapter().getInstance().server.address() as AddressInfo;
    const second = await NestFactory.create<NestFastifyApplication>(PingModule, new FastifyAdapter(), {
      logger: false,
    });
    try {
      await expect(listenOnSharedSockets(second, { port, host: '127.0.0.1', sockets: 2 })).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await second.close();
    }
  });

  const onLinux = process.platform === 'linux' ? it : it.skip;

  onLinux('opens as many listening sockets on the port as it is given', async () => {
    await listenOnSharedSockets(app, { port: 0, host: '127.0.0.1', sockets: 5 });
    const { port } = app.getHttpAdapter().getInstance().server.address() as AddressInfo;
    expect(listeningSocketsOn(port)).toBe(5);
  });
});

/** The TCP sockets listening on `port`. */
function listeningSocketsOn(port: number): number {
  return tcpSocketsOn(port).filter(({ state }) => state === '0A').length;
}

/** Blocks the loop for `busyMs` per turn until `done()` or `maxTurns`; returns the turns taken. */
async function busyTurnsUntil(done: () => boolean, maxTurns: number, busyMs = BUSY_TURN_MS): Promise<number> {
  let turns = 0;
  while (!done() && turns < maxTurns) {
    const until = Date.now() + busyMs;
    while (Date.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
    turns++;
  }
  return turns;
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket
      .on('data', (chunk) => (text += chunk))
      .on('end', () => resolve(text))
      .on('error', reject);
  });
}
