import { randomBytes } from 'node:crypto';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';

import {
  cacheKeys,
  eventVersionKeys,
  RedisService,
  ResponseCache,
  SecondRequestAdmission,
  VersionWatch,
} from '@evently/cache';
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

  it('never gives a read begun after a bump the answer of a load begun before it', async () => {
    const { version, key } = keys();
    let loading!: () => void;
    const started = new Promise<void>((resolve) => (loading = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const before = cache.json(version, key, TTL_MS, async () => {
      loading();
      await held;
      return { n: 1 };
    });
    await started;
    // A write commits and bumps the version while that load is still under way; its writer's client reads again.
    await redis.client.incr(redis.key(version));
    const after = cache.json(version, key, TTL_MS, answer(2));
    await new Promise((resolve) => setTimeout(resolve, 200)); // it has read the new version by then
    release();
    expect(await before).toBe('{"n":1}');
    expect(await after).toBe('{"n":2}');
  });
});

/** The near cache: entries an api process keeps in its memory while Redis has announced no change to their version. */
describe("response cache: entries kept in the process's memory", () => {
  let app: NestFastifyApplication;
  let cache: ResponseCache;
  let redis: RedisService;
  let otherProcess: Redis;
  let loads = 0;
  const load = async () => ({ load: ++loads });

  beforeAll(async () => {
    app = await createTestApp();
    cache = app.get(ResponseCache);
    redis = app.get(RedisService);
    otherProcess = new Redis(process.env.REDIS_URL as string);
    await eventually(async () => (redis.runId ? true : undefined));
  });
  afterAll(async () => {
    otherProcess.disconnect();
    await app.close();
  });

  const eventVersion = () => cacheKeys.eventVersion(randomBytes(8).toString('hex'));

  /**
   * Loads the entry afresh until the process answers it from memory: Redis holds another text under the same version
   * by then, so an answer from Redis would differ. Returns the text kept.
   */
  async function keptInMemory(version: string, key: string): Promise<string> {
    const entryKey = redis.key(cacheKeys.entry(redis.runId as string, key));
    return eventually(async () => {
      await redis.client.del(entryKey);
      const read = await cache.json(version, key, TTL_MS, load);
      const stamp = `${(await redis.client.get(redis.key(version))) ?? 0}\n`;
      await redis.client.set(entryKey, `${stamp}{"sneaked":true}`, 'PX', TTL_MS);
      return (await cache.json(version, key, TTL_MS, load)) === read ? read : undefined;
    });
  }

  it('answers an entry it read a moment ago from memory, not from Redis', async () => {
    const version = eventVersion();
    const kept = await keptInMemory(version, `test:${version}`);
    expect(JSON.parse(kept)).toEqual({ load: expect.any(Number) });
  });

  it("forgets it the moment this process bumps its version, before Redis's announcement can arrive", async () => {
    const version = eventVersion();
    const key = `test:${version}`;
    const kept = await keptInMemory(version, key);
    await cache.bump(eventVersionKeys([version.slice('version:event:'.length)]));
    const after = await cache.json(version, key, TTL_MS, load);
    expect(after).not.toBe(kept);
    expect(after).not.toContain('sneaked');
  });

  it('trusts a version read from Redis only if no change was announced while it was being read', async () => {
    const watch = app.get(VersionWatch);
    await keptInMemory(eventVersion(), `test:${randomBytes(4).toString('hex')}`); // the watch is up by then
    const version = redis.key(eventVersion());
    const before = watch.mark();
    watch.forget([redis.key('version:some-other')]);
    expect(watch.learn(version, '7\n', before)).toBeUndefined();
    expect(watch.trusted(version)).toBeUndefined();
    const token = watch.learn(version, '7\n', watch.mark());
    expect(token).toContain('7\n');
    expect(watch.trusted(version)).toBe(token);
  });

  it('keeps nothing in memory that it read from Redis while a change to its version was announced', async () => {
    const watch = app.get(VersionWatch);
    await keptInMemory(eventVersion(), `test:${randomBytes(4).toString('hex')}`); // the watch is up by then
    const version = eventVersion();
    const key = `test:${version}`;
    const mget = redis.client.mget.bind(redis.client) as (...keys: string[]) => Promise<(string | null)[]>;
    jest.spyOn(redis.client, 'mget').mockImplementationOnce((async (...keys: string[]) => {
      const read = await mget(...keys);
      // Another process bumps the version once this read has left Redis, and its announcement is handled first.
      await otherProcess.incr(redis.key(version));
      await watch.barrier();
      return read;
    }) as never);
    const read = await cache.json(version, key, TTL_MS, load);
    const again = await cache.json(version, key, TTL_MS, load);
    expect(again).not.toBe(read);
  });

  it('sees a change another process made before the read began, without waiting for it', async () => {
    const version = eventVersion();
    const key = `test:${version}`;
    const kept = await keptInMemory(version, key);
    await otherProcess.incr(redis.key(version));
    const after = await cache.json(version, key, TTL_MS, load);
    expect(after).not.toBe(kept);
    expect(after).not.toContain('sneaked');
  });

  it('waits for the announcements Redis sent before the read began, however slowly they arrive', async () => {
    const version = eventVersion();
    const key = `test:${version}`;
    const kept = await keptInMemory(version, key);
    // The connection that receives the announcements is slow: the change reaches this process after the read begins.
    const announcements = app.get(VersionWatch)['connection']!.stream;
    announcements.pause();
    await otherProcess.incr(redis.key(version));
    setTimeout(() => announcements.resume(), 100);
    const after = await cache.json(version, key, TTL_MS, load);
    expect(after).not.toBe(kept);
    expect(after).not.toContain('sneaked');
  });

  it('asks Redis again within seconds, so an entry that has expired there is loaded afresh', async () => {
    const version = eventVersion();
    const key = `test:${version}`;
    const kept = await keptInMemory(version, key);
    await redis.client.del(redis.key(cacheKeys.entry(redis.runId as string, key))); // its lifetime in Redis is over
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const after = await cache.json(version, key, TTL_MS, load);
    expect(after).not.toBe(kept);
    expect(after).not.toContain('sneaked');
  });

  it('trusts nothing it kept before its connection for announcements closed, and watches again after', async () => {
    const version = eventVersion();
    const key = `test:${version}`;
    const kept = await keptInMemory(version, key);
    const watchName = redis.key('version-watch', process.pid);
    const clients = (await otherProcess.client('LIST')) as string;
    const watchId = /id=(\d+) .*name=(\S+)/.exec(
      clients.split('\n').find((line) => line.includes(`name=${watchName} `)) ?? '',
    );
    expect(watchId?.[2]).toBe(watchName);
    await otherProcess.client('KILL', 'ID', watchId![1]);
    // Announced to nobody, the connection being gone; and back to the old value, as after a restart from a snapshot.
    await otherProcess.incr(redis.key(version));
    await otherProcess.decr(redis.key(version));
    await keptInMemory(version, `${key}:another`); // watching again, and trusting the version's value once more
    expect(await cache.json(version, key, TTL_MS, load)).not.toBe(kept);
  });
});
