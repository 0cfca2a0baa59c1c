export * from './database-migrator';
export * from './database-options';
export * from './database.module';
export * from './entities';
export * from './postgres-errors';
export { notMigratedHint } from './schema-check';
export { MIGRATIONS } from './migrations';
export { createIndexConcurrently } from './migrations/concurrent-index';
