import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The search text folded as Django folds it: its `icontains` compares `UPPER(field) LIKE UPPER(term)`, and lower
 * case differs where upper does not (a Greek word's final ς lowers to itself, its capital Σ to σ, so `ΚΌΣΜΟΣ` never
 * found `Κόσμος`). A column of its own beside `search_text`, which the apis of earlier releases keep reading while an
 * upgrade rolls out (`DropLowerCaseSearch` drops it a release later). Adding the column rewrites the table under its
 * exclusive lock (about 4.5–5.8 s per 100,000 events on 2 cores: past the apps' 5 s lock timeout, bookings and
 * uncached event reads answer 503 meanwhile), and the lock timeout bounds how long they queue behind the wait for
 * that lock: should it strike, the migration fails and running it again is safe. Its index is built after it,
 * without blocking writers.
 */
export class SearchKeyUpperCase1765000000000 implements MigrationInterface {
  name = 'SearchKeyUpperCase1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = '2s'`);
    await queryRunner.query(
      `ALTER TABLE events ADD COLUMN IF NOT EXISTS search_key text NOT NULL
         GENERATED ALWAYS AS (upper(name || chr(1) || venue || chr(1) || coalesce(description, ''))) STORED`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = '2s'`);
    await queryRunner.query(`ALTER TABLE events DROP COLUMN IF EXISTS search_key`);
  }
}
