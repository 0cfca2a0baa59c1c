import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the worker's retention pruner find old mail deliveries and long-published outbox rows without reading
 * either table whole. The outbox index holds published rows only, the ones the pruner may delete.
 */
export class RetentionIndexes1764500000000 implements MigrationInterface {
  name = 'RetentionIndexes1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX mail_deliveries_sent_at_idx ON mail_deliveries (sent_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX mail_deliveries_sent_at_idx`);
    await queryRunner.query(`DROP INDEX outbox_published_at_idx`);
  }
}
