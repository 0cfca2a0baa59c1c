import { MigrationInterface, QueryRunner } from 'typeorm';

import { createIndexConcurrently } from './concurrent-index';

/**
 * When each outbox job finished in BullMQ (completed, or failed for good). A published job that Redis lost (it
 * restarted empty) never finishes, and the workers' follow-up publishes it again. Rows already in the table read as
 * finished, through a default fixed when the column is added (no table rewrite), except the few not yet published.
 * The column is added in one short transaction; the indexes are built after it, without blocking the writers.
 */
export class OutboxFinished1764700000000 implements MigrationInterface {
  name = 'OutboxFinished1764700000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    // One transaction: should the lock timeout strike between them, no default is left behind that would mark
    // every new outbox row finished.
    await queryRunner.startTransaction();
    try {
      await queryRunner.query(`SET LOCAL lock_timeout = '10s'`);
      await queryRunner.query(`ALTER TABLE outbox ADD COLUMN IF NOT EXISTS finished_at timestamptz DEFAULT now()`);
      await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN finished_at DROP DEFAULT`);
      await queryRunner.query(`UPDATE outbox SET finished_at = NULL WHERE published_at IS NULL`);
      await queryRunner.commitTransaction();
    } catch (error) {
      await queryRunner.rollbackTransaction();
      throw error;
    }
    await createIndexConcurrently(
      queryRunner,
      'outbox_unfinished_idx',
      'outbox (id) WHERE published_at IS NOT NULL AND finished_at IS NULL',
    );
    await createIndexConcurrently(
      queryRunner,
      'outbox_unfinished_job_idx',
      'outbox (job_id) WHERE finished_at IS NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS outbox_unfinished_job_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS outbox_unfinished_idx`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS finished_at`);
  }
}
