import { randomBytes } from 'node:crypto';

import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { RedisService, ResponseCache, SecondRequestAdmission } from '@evently/cache';
import { eventually } from '@evently/testing';

import { createTestApp } from '../support/test-app';

const TTL_MS = 60_000;

/**
 * The read-through cache with an admission, as the public list uses it. Each `SecondRequestAdmission` stands for
 * an api process: the cache is Redis, shared by all of them, while what a process has seen is its own.
 */
describe('response cache: keys a process has not seen before', () => {
  let app: NestFastifyApplication;
  let cache: ResponseCache;
  let redis: RedisService;

  beforeAll(async () => {
    app = await createTestApp();
    cache = app.get(ResponseCache);
    redis = app.get(RedisService);
    // The cache is off until the connection has read Redis's run id: a first request before that loads around the
    // cache without its admission seeing the key, and `stored` would then wait for an entry that holds a later load.
    await eventually(async () => (redis.runId ? true : undefined));
  });
  afterAll(() => app.close());

  const keys = () => {
    const tag = randomBytes(4).toString('hex');
    return { version: `version:test:${tag}`, key: `test:${tag}` };
  };
  const answer = (n: number) => async () => ({ n });
  const databaseDown = async () => {
    throw new Error('database down');
  };

  /** Stores `{"n":1}` through one process's admission, and waits until that process is served it from the cache. */
  async function stored(version: string, key: string): Promise<void> {
    const admission = new SecondRequestAdmission();
    await cache.json(version, key, TTL_MS, answer(1), admission);
    await cache.json(version, key, TTL_MS, answer(1), admission);
    await eventually(async () =>
      (await cache.json(version, key, TTL_MS, answer(2), admission)) === '{"n":1}' ? true : undefined,
    );
  }

  it('reads a key its process sees for the first time from the database, then from the cache', async () => {
    const { version, key } = keys();
    await stored(version, key);
    const another = new SecondRequestAdmission();
    expect(await cache.json(version, key, TTL_MS, answer(2), another)).toBe('{"n":2}');
    expect(await cache.json(version, key, TTL_MS, answer(2), another)).toBe('{"n":1}');
  });

  it('serves such a key from the cache while the database fails, but only an entry that is still current', async () => {
    const { version, key } = keys();
    await stored(version, key);
    expect(await cache.json(version, key, TTL_MS, databaseDown, new SecondRequestAdmission())).toBe('{"n":1}');

    await redis.client.incr(redis.key(version));
    await expect(cache.json(version, key, TTL_MS, databaseDown, new SecondRequestAdmission())).rejects.toThrow(
      'database down',
    );
    const never = keys();
    await expect(
      cache.json(never.version, never.key, TTL_MS, databaseDown, new SecondRequestAdmission()),
    ).rejects.toThrow('database down');
  });
});
