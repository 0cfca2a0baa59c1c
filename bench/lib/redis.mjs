import Redis from 'ioredis';

/** Deletes every key under this run's prefix (never FLUSHALL: the Redis may be shared). */
export async function deleteKeys(url, prefix) {
  if (!prefix.startsWith('evently-bench-')) throw new Error(`refusing to delete keys of ${prefix}`);
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
