import { Pool } from 'pg';

import { eventually } from '@evently/testing';

/** Runs `work` while a transaction of the test's own holds what `statement` locks; rolls it back afterwards. */
export async function holding<T>(db: Pool, statement: string, params: unknown[], work: () => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(statement, params);
    return await work();
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** Waits until a backend running a statement that contains `queryFragment` waits on a lock. */
export async function waitForBlocked(db: Pool, queryFragment: string): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await db.query(
        `SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`,
        [queryFragment],
      );
      return rows.length > 0 ? true : undefined;
    },
    10_000,
    50,
  );
}
