import { MigrationInterface, QueryRunner } from 'typeorm';

import { createIndexConcurrently } from './concurrent-index';

/**
 * The bookings analytics counts (confirmed at some time), by event: the overview counts them all from this index
 * alone, where its ranking had looked up every live event's bookings in turn and read each one's row (32–37 s over
 * five million bookings, past the statement timeout). Built without blocking writers.
 */
export class ConfirmedBookingsIndex1765200000000 implements MigrationInterface {
  name = 'ConfirmedBookingsIndex1765200000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      queryRunner,
      'bookings_confirmed_event_idx',
      'bookings (event_id) WHERE confirmed_at IS NOT NULL',
    );
  }

  // Not CONCURRENTLY: TypeORM reverts a migration inside a transaction, whatever `transaction` says.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS bookings_confirmed_event_idx`);
  }
}
