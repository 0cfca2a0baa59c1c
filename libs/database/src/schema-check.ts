import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, MigrationExecutor } from 'typeorm';

import { PG_INVALID_CATALOG_NAME, PG_UNDEFINED_TABLE, postgresErrorCode } from './postgres-errors';

const RUN_MIGRATIONS =
  'if DATABASE_URL, or DB_NAME, names the right database, run the migrations first: `npm run migration:run`, ' +
  'or the CLI’s migrate command';

/** A database that is missing or not migrated yet: the usual first-run slip, whose fix is one command. */
const NOT_MIGRATED = new Set([PG_INVALID_CATALOG_NAME, PG_UNDEFINED_TABLE]);

/** What to add to a failure's report when its cause is a database that is missing or not migrated: else nothing. */
export function notMigratedHint(error: unknown): string {
  return NOT_MIGRATED.has(postgresErrorCode(error) ?? '') ? ` (${RUN_MIGRATIONS})` : '';
}

/**
 * Stops a start on a schema older than the code: an api on it would pass its health check and answer 500s, a worker
 * would log a failed sweep every second. A newer schema is fine, so that a release's migrations can run before its
 * apps replace the old ones.
 */
@Injectable()
export class SchemaCheck implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const pending = await new MigrationExecutor(this.dataSource).getPendingMigrations();
    if (pending.length === 0) return;
    const database = this.dataSource.driver.database ?? 'the database';
    throw new Error(
      `the schema of ${database} lacks ${pending.length} of this release's migrations (the first: ` +
        `${pending[0].name}): ${RUN_MIGRATIONS}`,
    );
  }
}
