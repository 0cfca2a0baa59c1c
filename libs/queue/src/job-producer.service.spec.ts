import { connect, createServer, Server, Socket } from 'node:net';

import { Queue } from 'bullmq';

import { eventually } from '@evently/testing';

import { JobProducer } from './job-producer.service';
import { jobIds, MAIL_JOBS, QUEUES } from './queue-names';

/**
 * A TCP hop to the test run's Redis that the test can cut, as a Redis outage cuts a worker off, or freeze, as a Redis
 * that hangs (stopped, stalled) leaves the connection open and unanswered.
 */
class CuttableRedis {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private held: (() => void)[] | undefined;

  constructor(private readonly target: URL) {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      this.forward(client, upstream);
      this.forward(upstream, client);
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

  freeze(): void {
    this.held = [];
  }

  thaw(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const send of held) send();
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      const send = () => void to.write(chunk);
      if (this.held) this.held.push(send);
      else send();
    });
  }
}

const JOB = { name: MAIL_JOBS.bookingConfirmed, jobId: jobIds.bookingConfirmed('b1'), payload: { bookingId: 'b1' } };

/** A producer on the bookings and mail queues, connected as a worker connects, through a hop of its own. */
async function producerThroughHop(name: string) {
  const redis = new CuttableRedis(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'));
  // As a worker connects: commands wait in the client's offline queue until Redis comes back.
  const connection = { ...(await redis.listen()), maxRetriesPerRequest: null };
  const prefix = `${process.env.REDIS_PREFIX}:${name}`;
  const queues = [QUEUES.bookings, QUEUES.mail].map((queue) => new Queue(queue, { connection, prefix }));
  for (const queue of queues) queue.on('error', () => undefined);
  await Promise.all(queues.map((queue) => queue.waitUntilReady()));
  return { redis, queues, producer: new JobProducer(queues[0], queues[1]) };
}

describe('JobProducer on a worker whose Redis is away', () => {
  it('refuses jobs at once rather than queue them in memory, run after run, when cut off', async () => {
    const { redis, queues, producer } = await producerThroughHop('producer-spec');
    try {
      redis.cut();
      await eventually(async () => ((await producer.connected()) ? undefined : true));

      for (let run = 0; run < 3; run++) await expect(producer.add([JOB])).rejects.toThrow('Redis is not connected');
      // ioredis keeps what it would send on reconnecting in a private list; nothing may be waiting there.
      const client = (await queues[1].backend.client) as unknown as { offlineQueue: { length: number } };
      expect(client.offlineQueue.length).toBe(0);
    } finally {
      // BullMQ's own disconnect waits for a reconnection that cannot come; the client's stops reconnecting at once.
      for (const queue of queues) (await queue.backend.client).disconnect();
    }
  });

  it('sends nothing more once a command outlived its budget, until a hanging Redis answers it', async () => {
    const { redis, queues, producer } = await producerThroughHop('producer-hang-spec');
    try {
      redis.freeze();
      await expect(producer.add([JOB])).rejects.toThrow('timed out');

      // The relay's next runs and the follow-up's lookups: refused at once, not queued behind the unanswered add.
      for (let run = 0; run < 3; run++) await expect(producer.add([JOB])).rejects.toThrow('Redis is not connected');
      await expect(producer.findJobs([JOB])).rejects.toThrow('Redis is not connected');
      await expect(producer.signalSettle(['e1'])).rejects.toThrow('Redis has not answered');
      await expect(producer.pauseMail(100)).rejects.toThrow('Redis has not answered');
      expect(await producer.connected()).toBe(false);

      redis.thaw();
      await eventually(async () => ((await producer.connected()) ? true : undefined));
      await producer.add([JOB]);
      expect((await producer.findJobs([JOB]))[0]?.id).toBe(JOB.jobId);
    } finally {
      redis.thaw();
      await Promise.all(queues.map((queue) => queue.obliterate({ force: true })));
      await Promise.all(queues.map((queue) => queue.close()));
      redis.cut();
    }
  }, 15_000);
});
