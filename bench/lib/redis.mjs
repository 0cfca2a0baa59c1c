import Redis from 'ioredis';

import { progress } from './progress.mjs';

/** {@link deleteKeys} for a run's cleanup: a failure is said, and counts 0 keys. */
export async function cleanUpKeys(url, prefix) {
  return deleteKeys(url, prefix).catch((error) => {
    progress(`could not delete the Redis keys under ${prefix}: ${error.message}`);
    return 0;
  });
}

/** Deletes every key under this run's prefix (never FLUSHALL: the Redis may be shared). */
async function deleteKeys(url, prefix) {
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
