import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, MigrationExecutor } from 'typeorm';

import { RUN_MIGRATIONS } from './failure-hints';

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
