// Runs once before every test: a fresh database and Redis prefix for this run, migrated with the real CLI.
const { execSync, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');

module.exports = async function globalSetup() {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = new URL(process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres');
  database.pathname = `/evently_test_${runId}`;
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: database.toString(),
    REDIS_URL: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379/0',
    REDIS_PREFIX: `evently-test-${runId}`,
    SECRET_KEY: 'test-secret-key-for-the-evently-suite',
    DEBUG: 'true',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ALLOWED_HOSTS: 'localhost,127.0.0.1',
    // Several apis and workers run at once in the storm tests; stay well inside max_connections (100).
    DB_POOL_SIZE: '8',
    // Workers would all claim the same metrics port; tests that want it pass a free one.
    WORKER_METRICS_PORT: '0',
  });
  // Multi-process tests run the compiled apps, as `npm run start:api` / `start:worker` would.
  execSync('node tools/ensure-built.mjs', { stdio: 'inherit' });
  migrateTestDatabase();
};

/** Silent when it passes; a failure carries the CLI's output, which names the cause (server down, bad credentials). */
function migrateTestDatabase() {
  const migrate = spawnSync('node', ['dist/apps/api/apps/api/src/cli/main.js', 'migrate'], { encoding: 'utf8' });
  if (migrate.status === 0) return;
  const output = `${migrate.stdout ?? ''}${migrate.stderr ?? ''}`.trim() || migrate.error?.message;
  throw new Error(`migrating the test database failed:\n${output}`);
}
