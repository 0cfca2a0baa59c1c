// Drops this run's database and deletes this run's Redis keys, including those of the prefixes tests derive from it
// (never FLUSHALL: Redis may be shared).
const { Client } = require('pg');
const Redis = require('ioredis').default;

module.exports = async function globalTeardown() {
  const { DATABASE_URL, REDIS_URL, REDIS_PREFIX } = process.env;
  if (DATABASE_URL?.includes('/evently_test_')) {
    const maintenance = new URL(DATABASE_URL);
    const name = maintenance.pathname.slice(1);
    maintenance.pathname = '/postgres';
    const client = new Client({ connectionString: maintenance.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.end();
  }
  if (REDIS_URL && REDIS_PREFIX?.startsWith('evently-test-')) {
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
};
