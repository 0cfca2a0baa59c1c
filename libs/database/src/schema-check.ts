import { DataSource, MigrationExecutor } from 'typeorm';

import { RUN_MIGRATIONS } from './failure-hints';

/**
 * Stops a start on a schema older than the code: an api on it would pass its health check and answer 500s, a worker
 * would log a failed sweep every second. A newer schema is let through, so that a release's migrations can run while
 * the old apps still serve (docs/operations.md names the upgrades where the old apis must go first).
 */
export async function assertSchemaCurrent(dataSource: DataSource): Promise<void> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  if (pending.length === 0) return;
  const database = dataSource.driver.database ?? 'the database';
  throw new Error(
    `the schema of ${database} lacks ${pending.length} of this release's migrations (the first: ` +
      `${pending[0].name}): ${RUN_MIGRATIONS}`,
  );
}
