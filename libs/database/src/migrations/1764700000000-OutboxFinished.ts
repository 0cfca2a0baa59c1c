import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each outbox job was seen finished (completed, or failed for good) in BullMQ. A published job that Redis
 * lost (it restarted empty) never finishes, and the worker's follow-up publishes it again. Rows published before
 * this migration are taken as finished: their jobs are too old to tell lost from done.
 */
export class OutboxFinished1764700000000 implements MigrationInterface {
  name = 'OutboxFinished1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN finished_at timestamptz`);
    await queryRunner.query(`UPDATE outbox SET finished_at = published_at WHERE published_at IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX outbox_unfinished_idx ON outbox (id) WHERE published_at IS NOT NULL AND finished_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX outbox_unfinished_idx`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN finished_at`);
  }
}
