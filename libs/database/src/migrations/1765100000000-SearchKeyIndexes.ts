import { MigrationInterface, QueryRunner } from 'typeorm';

import { createIndexConcurrently } from './concurrent-index';

/**
 * The trigram index of `search_key`, which the public and the admin searches both use (the admin one checks name
 * and venue on the rows it finds), and the venue filter's index on `upper(venue)`, as Django's `iexact` compares.
 * Built without blocking writers; the lower-cased indexes stayed for earlier releases' apis until `DropLowerCaseSearch`.
 */
export class SearchKeyIndexes1765100000000 implements MigrationInterface {
  name = 'SearchKeyIndexes1765100000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      queryRunner,
      'events_search_key_trgm_idx',
      'events USING gin (search_key gin_trgm_ops) WHERE deleted_at IS NULL',
    );
    await createIndexConcurrently(
      queryRunner,
      'events_venue_upper_idx',
      'events (upper(venue)) WHERE deleted_at IS NULL',
    );
    await queryRunner.query(`ANALYZE events`);
  }

  // Not CONCURRENTLY: TypeORM reverts a migration inside a transaction, whatever `transaction` says.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS events_venue_upper_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS events_search_key_trgm_idx`);
  }
}
