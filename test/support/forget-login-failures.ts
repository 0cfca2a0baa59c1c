import Redis from 'ioredis';

/*
 * Each e2e file starts with the loopback client's login failures forgotten, as if it ran alone: the run's files share
 * one Redis prefix and one client address, and their deliberate failures together reached the per-IP limit (100 in
 * 15 minutes), so later files' logins were refused with 429 depending on the order the files ran in.
 */
beforeAll(async () => {
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    for (const log of ['login-failure-times', 'login-attempts-in-flight']) {
      const keys = await redis.keys(`${process.env.REDIS_PREFIX}:${log}:ip:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
});
