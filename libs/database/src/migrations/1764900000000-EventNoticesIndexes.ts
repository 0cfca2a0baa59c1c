import { MigrationInterface, QueryRunner } from 'typeorm';

import { createIndexConcurrently } from './concurrent-index';

/**
 * Indexes for the two foreign keys of event_notices, the only ones without: deleting a user (the staff's bulk delete
 * of test users) set each deleted user's notices' sender to NULL by scanning the whole table once per user, so a
 * large bulk delete ran into the statement timeout and deleted nothing. Built without blocking writers.
 */
export class EventNoticesIndexes1764900000000 implements MigrationInterface {
  name = 'EventNoticesIndexes1764900000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(queryRunner, 'event_notices_sent_by_idx', 'event_notices (sent_by)');
    await createIndexConcurrently(queryRunner, 'event_notices_event_id_idx', 'event_notices (event_id)');
  }

  // Not CONCURRENTLY: TypeORM reverts a migration inside a transaction, whatever `transaction` says.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS event_notices_event_id_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS event_notices_sent_by_idx`);
  }
}
