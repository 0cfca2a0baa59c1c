import { setTimeout as sleep } from 'node:timers/promises';

import { Pool } from 'pg';

import { applicationName, databaseOptions } from './database-options';

/** Backend process ids of `count` connections held at once, then given back. */
async function holdConnections(pool: Pool, count: number): Promise<Set<number>> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  try {
    const pids = await Promise.all(
      clients.map((client) => client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')),
    );
    return new Set(pids.map((result) => result.rows[0].pid));
  } finally {
    for (const client of clients) client.release();
  }
}

describe('databaseOptions', () => {
  it('opens connections on demand and keeps them through a quiet spell: the next burst finds the same backends', async () => {
    const url = process.env.DATABASE_URL!;
    // pg-pool closes a connection idle for idleTimeoutMillis (10 s by default); shortened so the test need not wait.
    const pool = new Pool({
      ...databaseOptions({ url, poolSize: 3 }).extra,
      connectionString: url,
      idleTimeoutMillis: 20,
    });
    pool.on('error', () => undefined);
    try {
      expect(pool.totalCount).toBe(0);
      const before = await holdConnections(pool, 3);
      await sleep(200);
      expect(pool.totalCount).toBe(3);
      expect(await holdConnections(pool, 3)).toEqual(before);
    } finally {
      await pool.end();
    }
  });

  it('names each connection after the process that holds it, as pg_stat_activity shows it', async () => {
    const url = process.env.DATABASE_URL!;
    const pool = new Pool({ ...databaseOptions({ url, poolSize: 1 }).extra, connectionString: url });
    try {
      const { rows } = await pool.query(`SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
      expect(rows[0].application_name).toBe(applicationName());
      expect(applicationName()).toMatch(new RegExp(`^evently@.+:${process.pid}$`));
    } finally {
      await pool.end();
    }
  });
});
