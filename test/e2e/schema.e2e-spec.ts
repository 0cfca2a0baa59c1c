import { Pool } from 'pg';
import { QueryRunner } from 'typeorm';

import { createIndexConcurrently, dropDatabase, migrateDatabase, MIGRATIONS } from '@evently/database';

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
      const runs = await Promise.all([migrateDatabase(url.toString()), migrateDatabase(url.toString())]);
      const applied = runs.map((run) => run.applied.length).sort();
      expect(applied).toEqual([0, MIGRATIONS.length]);
    } finally {
      await dropDatabase(url.toString());
    }
  });
});
