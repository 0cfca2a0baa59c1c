import { connect, createServer, Server, Socket } from 'node:net';

import { Queue } from 'bullmq';

import { eventually } from '@evently/testing';

import { JobProducer } from './job-producer.service';
import { jobIds, MAIL_JOBS, QUEUES } from './queue-names';

/** A TCP hop to the test run's Redis that the test can cut, as a Redis outage cuts a worker off. */
class CuttableRedis {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly target: URL) {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      client.pipe(upstream).pipe(client);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
      }
    });
  }

  /** Connection options for the hop, with the run's database index and credentials. */
  async listen() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    const { username, password, pathname } = this.target;
    return {
      host: '127.0.0.1',
      port,
      db: Number(pathname.slice(1) || 0),
      ...(password && { username: decodeURIComponent(username), password: decodeURIComponent(password) }),
    };
  }

  cut(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }
}

describe('JobProducer on a worker cut off from Redis', () => {
  const redis = new CuttableRedis(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'));
  let queues: Queue[];

  beforeAll(async () => {
    // As a worker connects: commands wait in the client's offline queue until Redis comes back.
    const connection = { ...(await redis.listen()), maxRetriesPerRequest: null };
    const prefix = `${process.env.REDIS_PREFIX}:producer-spec`;
    queues = [QUEUES.bookings, QUEUES.mail].map((name) => new Queue(name, { connection, prefix }));
    for (const queue of queues) queue.on('error', () => undefined);
    await Promise.all(queues.map((queue) => queue.waitUntilReady()));
  });
  // BullMQ's own disconnect waits for a reconnection that cannot come; the client's stops reconnecting at once.
  afterAll(async () => {
    for (const queue of queues) (await queue.backend.client).disconnect();
  });

  it('refuses jobs at once rather than queue them in memory, run after run', async () => {
    const producer = new JobProducer(queues[0], queues[1]);
    redis.cut();
    await eventually(async () => ((await producer.connected()) ? undefined : true));

    const job = {
      name: MAIL_JOBS.bookingConfirmed,
      jobId: jobIds.bookingConfirmed('b1'),
      payload: { bookingId: 'b1' },
    };
    for (let run = 0; run < 3; run++) await expect(producer.add([job])).rejects.toThrow('Redis is not connected');
    // ioredis keeps what it would send on reconnecting in a private list; nothing may be waiting there.
    const client = (await queues[1].backend.client) as unknown as { offlineQueue: { length: number } };
    expect(client.offlineQueue.length).toBe(0);
  });
});
