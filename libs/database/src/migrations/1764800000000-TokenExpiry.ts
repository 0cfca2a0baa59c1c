import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a token stops authenticating: set for queue dashboard sessions, NULL for api tokens, which last until logout.
 * A nullable column without a default changes only the catalogue, so the table is neither rewritten nor scanned;
 * tokens issued before it read as api tokens. auth_tokens is read by every authenticated request, and those reads
 * queue behind the ALTER's brief exclusive lock while it waits for its own, so a short lock timeout bounds that stall:
 * the migration fails instead, and running it again is safe.
 */
export class TokenExpiry1764800000000 implements MigrationInterface {
  name = 'TokenExpiry1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = '2s'`);
    await queryRunner.query(`ALTER TABLE auth_tokens ADD COLUMN IF NOT EXISTS expires_at timestamptz`);
  }

  // Without the column a dashboard session's token would authenticate until logout, so those sessions end first.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL lock_timeout = '2s'`);
    await queryRunner.query(`DELETE FROM auth_tokens WHERE expires_at IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE auth_tokens DROP COLUMN IF EXISTS expires_at`);
  }
}
