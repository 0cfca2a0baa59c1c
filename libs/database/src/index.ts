export * from './database-migrator';
export * from './database-options';
export * from './database.module';
export * from './entities';
export * from './postgres-errors';
export { databaseFailureHint } from './failure-hints';
export { MIGRATIONS } from './migrations';
export { createIndexConcurrently } from './migrations/concurrent-index';
