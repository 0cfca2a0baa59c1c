import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cache versions each write must bump, recorded in the write's own transaction and cleared once the bump is
 * done (libs/cache/src/cache-invalidation.service.ts): what a writer killed between its commit and its bump left
 * owing, every process pays (OwedBumpKeeper). Rows live for milliseconds, or seconds while Redis is away.
 */
export class CacheBumpsOwed1764600000000 implements MigrationInterface {
  name = 'CacheBumpsOwed1764600000000';

  /** `clock_timestamp()`, not `now()`: a write that waited on a lock must not look overdue the moment it commits. */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE cache_bumps_owed (
         id bigserial PRIMARY KEY,
         version_keys text[] NOT NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp()
       )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE cache_bumps_owed`);
  }
}
