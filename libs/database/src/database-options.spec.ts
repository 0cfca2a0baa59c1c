import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { Pool } from 'pg';

import { tcpSocketsOn } from '@evently/testing';

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

  it('keeps the pid in the name on a host with a long name (a pod), which PostgreSQL would cut at 63 bytes', () => {
    const host = jest.spyOn(os, 'hostname').mockReturnValue(`api-${'x'.repeat(70)}`);
    try {
      const name = applicationName();
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
      expect(name).toMatch(new RegExp(`^evently@api-x+:${process.pid}$`));
    } finally {
      host.mockRestore();
    }
  });

  const onLinux = process.platform === 'linux' ? it : it.skip;

  onLinux('sends TCP keepalives on an idle connection, so a NAT or firewall does not drop it unnoticed', async () => {
    const url = process.env.DATABASE_URL!;
    const pool = new Pool({ ...databaseOptions({ url, poolSize: 1 }).extra, connectionString: url });
    try {
      const { rows } = await pool.query(`SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
      // The connection's timer is 2 (keepalive) while it sits idle.
      const timers = tcpSocketsOn(Number(rows[0].client_port)).map(({ timer }) => timer);
      expect(timers).toEqual(['02']);
    } finally {
      await pool.end();
    }
  });

  /** The settings a new connection starts with, as PostgreSQL reports them. */
  async function sessionSettings(requestTimeouts?: boolean) {
    const url = process.env.DATABASE_URL!;
    const pool = new Pool({ ...databaseOptions({ url, poolSize: 1, requestTimeouts }).extra, connectionString: url });
    try {
      const { rows } = await pool.query(
        `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                current_setting('random_page_cost') AS random_page_cost`,
      );
      return rows[0];
    } finally {
      await pool.end();
    }
  }

  it('gives each connection its request timeouts, a 503 well before clients give up, and an SSD random_page_cost', async () => {
    expect(await sessionSettings()).toEqual({ statement: '15s', lock: '5s', random_page_cost: '1.1' });
  });

  it("leaves migrations' connections without the request timeouts, as an index build may take minutes", async () => {
    expect(await sessionSettings(false)).toMatchObject({ statement: '0', lock: '0', random_page_cost: '1.1' });
  });
});
