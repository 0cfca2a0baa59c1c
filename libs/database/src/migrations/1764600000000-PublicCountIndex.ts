import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets a public list count its first 1,001 matches from an index alone. `events_public_count_idx` holds, beside the
 * time order, every column the catalogue's search, date and price filters read; counting from it skips the visit
 * to each row that a count through `events_time_idx` pays (3,200 rows for the bench's search). A B-tree entry must
 * fit in about 2.7 KB and a description may be far longer, so events whose search text is over 2,000 bytes are
 * left out of it and counted through `events_long_search_text_idx` (EventQueries.listPublic counts both). The seats
 * left are not in it: a counter in an index would take every booking's update off its page (HOT).
 *
 * The statistics on the text's length tell the planner how few long texts there are. Without them it guesses a
 * third of the catalogue, and counted the long ones of a rare search through the trigram index a second time.
 * Statistics on an expression need PostgreSQL 14.
 *
 * Building an index blocks writes to `events`, bookings' counters included, while it runs (a third of a second for
 * 100,000 events on a small machine): on a large live catalogue, build both CONCURRENTLY first (docs/operations.md),
 * and this migration then leaves them as they are.
 */
export class PublicCountIndex1764600000000 implements MigrationInterface {
  name = 'PublicCountIndex1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS events_public_count_idx ON events (time, id) INCLUDE (price_per_ticket, is_active, search_text)
         WHERE deleted_at IS NULL AND octet_length(search_text) <= 2000`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS events_long_search_text_idx ON events (time, id)
         WHERE deleted_at IS NULL AND octet_length(search_text) > 2000`,
    );
    await queryRunner.query(
      `CREATE STATISTICS IF NOT EXISTS events_search_text_bytes ON (octet_length(search_text)) FROM events`,
    );
    await queryRunner.query(`ANALYZE events`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP STATISTICS events_search_text_bytes`);
    await queryRunner.query(`DROP INDEX events_long_search_text_idx`);
    await queryRunner.query(`DROP INDEX events_public_count_idx`);
  }
}
