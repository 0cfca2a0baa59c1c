import { QueryRunner } from 'typeorm';

/**
 * `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, safe to run again after an interrupted run: a build that was killed
 * leaves an invalid index behind under the same name, which `IF NOT EXISTS` would take for done (and which the
 * planner never uses), so such a leftover is dropped first.
 */
export async function createIndexConcurrently(
  queryRunner: QueryRunner,
  name: string,
  definition: string,
): Promise<void> {
  const leftovers: unknown[] = await queryRunner.query(
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND NOT i.indisvalid`,
    [name],
  );
  if (leftovers.length > 0) await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${definition}`);
}
