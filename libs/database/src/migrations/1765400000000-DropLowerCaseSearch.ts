import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lower-cased search text and indexes that `search_key` and `upper(venue)` replaced in round 29's release, whose
 * apis read neither: an upgrade from an earlier release goes through that one first. Every event write updates three
 * indexes fewer, and an event row written after the drop is narrower (the capped count reads thousands of rows per
 * search). Dropping a column rewrites nothing: a row sheds the column's bytes only when it is next written (a booking
 * rewrites its event's row; an event never booked again keeps them until a `VACUUM FULL` or pg_repack at a quiet
 * moment). The exclusive lock is held for a moment, and the lock timeout bounds how long bookings and event reads
 * queue behind the wait for it: should it strike, the migration fails and running it again is safe.
 */
export class DropLowerCaseSearch1765400000000 implements MigrationInterface {
  name = 'DropLowerCaseSearch1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = '2s'`);
    await queryRunner.query(`DROP INDEX IF EXISTS events_search_trgm_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS events_venue_lower_idx`);
    await queryRunner.query(`ALTER TABLE events DROP COLUMN IF EXISTS search_text`);
  }

  // Re-adding the column rewrites the table, and the indexes are built in the same transaction: the table is held
  // against bookings and event reads for the whole revert (tens of seconds per 100,000 events).
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = '2s'`);
    await queryRunner.query(
      `ALTER TABLE events ADD COLUMN IF NOT EXISTS search_text text NOT NULL
         GENERATED ALWAYS AS (lower(name || chr(1) || venue || chr(1) || coalesce(description, ''))) STORED`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS events_search_text_trgm_idx ON events USING gin (search_text gin_trgm_ops)
         WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS events_venue_lower_idx ON events (lower(venue)) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS events_search_trgm_idx ON events
         USING gin ((lower(name || ' ' || venue || ' ' || coalesce(description, ''))) gin_trgm_ops)
         WHERE deleted_at IS NULL`,
    );
  }
}
