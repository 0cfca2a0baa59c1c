import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `evently_estimated_rows(query)`: the planner's row estimate for a query, so a list can ask for it inside its
 * own statement instead of sending a separate EXPLAIN (a second round trip for every broad search). Callers
 * build the query text with `format(%L)`, which quotes every value. Parallel restricted, since the default (unsafe)
 * would keep every list statement that names it from a parallel plan; volatile, since EXPLAIN may not run in a
 * stable function.
 */
export class EstimatedRowsFunction1764400000000 implements MigrationInterface {
  name = 'EstimatedRowsFunction1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION evently_estimated_rows(query text) RETURNS bigint LANGUAGE plpgsql PARALLEL RESTRICTED AS $$
      DECLARE
        plan json;
      BEGIN
        EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
        RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION evently_estimated_rows(text)`);
  }
}
