import { AddressInfo, createServer, Server, Socket } from 'node:net';

import { Pool, PoolClient } from 'pg';

import { databaseOptions } from './database-options';
import { isDatabaseUnavailable } from './postgres-errors';

/**
 * A server that lets a client connect and, in the very same write, ends its session the way PostgreSQL does on a
 * fast shutdown (FATAL 57P01). It is the one thing a real server cannot be made to do on demand: the race the
 * fault suite's PostgreSQL restart lost one time in ten.
 */
async function serverThatShutsDownOnConnect(): Promise<Server> {
  const server = createServer((socket: Socket) => {
    socket.once('data', () => socket.end(Buffer.concat([authenticationOk(), readyForQuery(), adminShutdown()])));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const message = (type: string, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
};
const authenticationOk = () => message('R', Buffer.from([0, 0, 0, 0]));
const readyForQuery = () => message('Z', Buffer.from('I'));
const adminShutdown = () =>
  message(
    'E',
    Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0', 'latin1'),
  );

describe('ListeningClient', () => {
  it('survives a FATAL that arrives with the connection, and its holder gets a connection error instead', async () => {
    const server = await serverThatShutsDownOnConnect();
    const url = `postgresql://evently@127.0.0.1:${(server.address() as AddressInfo).port}/evently`;
    const pool = new Pool({ ...databaseOptions({ url, poolSize: 1 }).extra, connectionString: url });
    pool.on('error', () => undefined);
    let client: PoolClient | undefined;
    try {
      // As a TypeORM query runner does: the pool hands the client out, the holder starts listening a microtask later.
      client = await new Promise<PoolClient>((resolve, reject) =>
        pool.connect((error, connected) => (error ? reject(error) : resolve(connected!))),
      );
      const failure: unknown = await client.query('SELECT 1').catch((error: unknown) => error);
      expect(failure).toEqual(expect.objectContaining({ message: expect.stringMatching(/connection error/) }));
      expect(isDatabaseUnavailable(failure)).toBe(true);
      client.release();
      client = undefined;
      expect(pool.totalCount).toBe(0);
    } finally {
      client?.release(true);
      await pool.end();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
