import { Client, Pool } from 'pg';
import { QueryRunner } from 'typeorm';

import {
  createDatabaseIfMissing,
  createIndexConcurrently,
  dropDatabase,
  migrateDatabase,
  MIGRATIONS,
  PG_CHECK_VIOLATION,
  postgresErrorCode,
} from '@evently/database';
import { eventually } from '@evently/testing';

/** The schema the migrations build, read from PostgreSQL's catalogue. */
describe('schema', () => {
  let db: Pool;

  beforeAll(() => {
    db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  });
  afterAll(() => db.end());

  it('indexes every foreign key, so deleting or re-keying a referenced row never scans the referencing table', async () => {
    const { rows } = await db.query(
      `SELECT format('%s.%s', c.conrelid::regclass, a.attname) AS foreign_key
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f'
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
        ORDER BY 1`,
    );
    expect(rows.map((row) => row.foreign_key)).toEqual([]);
  });

  it('keeps no trace of the lower-cased search that search_key replaced', async () => {
    const { rows } = await db.query(
      `SELECT attname AS name FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'search_text'
        UNION ALL
       SELECT indexname FROM pg_indexes
        WHERE tablename = 'events' AND (indexdef ILIKE '%lower(%' OR indexname LIKE '%search_text%')`,
    );
    expect(rows).toEqual([]);
  });

  it('refuses a seat counter past capacity or below zero, whatever writes it', async () => {
    const client = await db.connect();
    let eventId = '';
    const counterSetTo = async (value: string) => {
      await client.query('SAVEPOINT counter');
      try {
        await client.query(`UPDATE events SET booked_tickets = ${value} WHERE id = $1`, [eventId]);
        return 'written';
      } catch (error) {
        return postgresErrorCode(error);
      } finally {
        await client.query('ROLLBACK TO SAVEPOINT counter');
      }
    };
    try {
      await client.query('BEGIN');
      const {
        rows: [organizer],
      } = await client.query(
        `INSERT INTO users (username, email, password) VALUES ('schema_check', 'schema@check.test', '!') RETURNING id`,
      );
      const {
        rows: [event],
      } = await client.query(
        `INSERT INTO events (name, venue, time, capacity, price_per_ticket, organizer_id)
         VALUES ('Schema check', 'Hall', now() + interval '1 day', 5, 1, $1) RETURNING id`,
        [organizer.id],
      );
      eventId = event.id;
      expect([await counterSetTo('capacity'), await counterSetTo('capacity + 1'), await counterSetTo('-1')]).toEqual([
        'written',
        PG_CHECK_VIOLATION,
        PG_CHECK_VIOLATION,
      ]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('rebuilds an index whose concurrent build was interrupted when its migration runs again', async () => {
    const queryRunner = { query: async (sql: string, params?: unknown[]) => (await db.query(sql, params)).rows };
    await db.query(`CREATE TABLE interrupted_build (n int)`);
    try {
      await db.query(`INSERT INTO interrupted_build VALUES (1), (1)`);
      // A failed concurrent build leaves its index in the catalogue, invalid, as a killed one does.
      await expect(
        db.query(`CREATE UNIQUE INDEX CONCURRENTLY interrupted_build_n_idx ON interrupted_build (n)`),
      ).rejects.toThrow();

      await createIndexConcurrently(queryRunner as QueryRunner, 'interrupted_build_n_idx', 'interrupted_build (n)');

      const { rows } = await db.query(
        `SELECT indisvalid AS valid, indisunique AS unique FROM pg_index WHERE indexrelid = 'interrupted_build_n_idx'::regclass`,
      );
      expect(rows).toEqual([{ valid: true, unique: false }]);
    } finally {
      await db.query(`DROP TABLE interrupted_build`);
    }
  });

  it('applies each migration once when two migrate runs start at once (a migrate job per pod)', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_migrate_twice';
    try {
      const logs: string[][] = [[], []];
      const runs = await Promise.all(logs.map((lines) => migrateDatabase(url.toString(), (line) => lines.push(line))));
      const applied = runs.map((run) => run.applied.length).sort();
      expect(applied).toEqual([0, MIGRATIONS.length]);
      // One created the database, and says so; the other found it created.
      expect(runs.map((run) => run.databaseCreated).sort()).toEqual([false, true]);
      expect(logs.flat().filter((line) => line === `created database ${url.pathname.slice(1)}`)).toHaveLength(1);
      // The run that waited says so, and whose session to end should that run be gone, rather than sitting silent
      // for as long as the other's migrations take.
      const waited = logs[runs.findIndex((run) => run.applied.length === 0)];
      expect(waited).toContainEqual(
        expect.stringMatching(
          /^waiting for another migration run to finish \(held by evently-migrate-[0-9a-f]{6}@.+:\d+, pid (\d+), connected at \d{4}-.+Z; if that run has stopped, end its session: SELECT pg_terminate_backend\(\1\)\)$/,
        ),
      );
    } finally {
      await dropDatabase(url.toString());
    }
  });

  it('stops, applying nothing more, when the session holding the migration lock ends mid-run', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_lock_lost';
    const name = url.pathname.slice(1);
    // As a server's idle_session_timeout or a network cut would end the lock's idle session.
    const { endLockSession, terminated } = lockSessionEnder(name);
    try {
      await expect(migrateDatabase(url.toString(), endLockSession)).rejects.toThrow(/lost the migration lock/);
      await terminated();
      const check = new Pool({ connectionString: url.toString(), max: 1 });
      try {
        const { rows } = await check.query(`SELECT count(*)::int AS applied FROM typeorm_migrations`);
        expect(rows[0].applied).toBeLessThan(MIGRATIONS.length);
      } finally {
        await check.end();
      }
      const rerun = await migrateDatabase(url.toString());
      expect(rerun.applied.length).toBeGreaterThan(0);
    } finally {
      await dropDatabase(url.toString());
    }
  });

  it('rolls back, rather than commits, the migration that was running when the lock session ended', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.pathname += '_lock_lost_midway';
    const name = url.pathname.slice(1);
    await createDatabaseIfMissing(url.toString());
    // Holds the first migration's first statement (CREATE EXTENSION) until the lock's session has ended.
    const blocker = new Client({ connectionString: url.toString() });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('CREATE EXTENSION pg_trgm');
      const { endLockSession, terminated } = lockSessionEnder(name);
      const run = migrateDatabase(url.toString(), endLockSession);
      const outcome = run.then(
        () => undefined,
        (error: Error) => error,
      );
      // The first migration has started, and is held at its first statement, when the lock's session ends.
      await eventually(async () => (terminated() ? await terminated() : undefined));
      await blocker.query('ROLLBACK');
      expect(await outcome).toEqual(
        expect.objectContaining({ message: expect.stringMatching(/lost the migration lock/) }),
      );
      const { rows } = await blocker.query(`SELECT count(*)::int AS applied FROM typeorm_migrations`);
      expect(rows[0].applied).toBe(0);
    } finally {
      await blocker.end();
      await dropDatabase(url.toString());
    }
  });

  /** Ends the session holding `name`'s migration lock once the run logs its first migration. */
  function lockSessionEnder(name: string) {
    let ending: Promise<unknown> | undefined;
    const endLockSession = (line: string) => {
      ending ??= line.startsWith('applying migration')
        ? db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_locks
              WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
            [name],
          )
        : undefined;
    };
    return { endLockSession, terminated: () => ending };
  }
});
