import { Pool } from 'pg';

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
});
