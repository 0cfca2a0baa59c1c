import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The public search as one indexed condition: name, venue and description joined by chr(1), which no search
 * may contain, so a match still never spans two fields. With a single condition the planner estimates matches
 * well enough to walk the time index for broad searches instead of sorting every match.
 */
export class PublicSearchIndex1764100000000 implements MigrationInterface {
  name = 'PublicSearchIndex1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_public_search_trgm_idx ON events
         USING gin ((lower(name || chr(1) || venue || chr(1) || coalesce(description, ''))) gin_trgm_ops)
         WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(`ANALYZE events`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX events_public_search_trgm_idx`);
  }
}
