import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the worker's retention pruner find old outbox rows and mail deliveries without reading either table
 * whole. BRIN, not B-tree: both tables are appended to in time order, so a block range summary finds the old
 * rows, and an insert (one outbox row per confirmed booking) costs next to nothing, where a B-tree entry would
 * cost every settled batch a little more.
 */
export class RetentionIndexes1764500000000 implements MigrationInterface {
  name = 'RetentionIndexes1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX outbox_created_at_brin_idx ON outbox USING brin (created_at) WITH (autosummarize = on)`,
    );
    await queryRunner.query(
      `CREATE INDEX mail_deliveries_sent_at_brin_idx ON mail_deliveries USING brin (sent_at) WITH (autosummarize = on)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX mail_deliveries_sent_at_brin_idx`);
    await queryRunner.query(`DROP INDEX outbox_created_at_brin_idx`);
  }
}
