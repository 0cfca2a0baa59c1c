import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import request, { Response } from 'supertest';

import { RedisService, VersionWatch } from '@evently/cache';
import { EventCatalog, EventQueries } from '@evently/events';
import { createEvent, eventually, loginAs, TestSession } from '@evently/testing';

import { marker } from '../support/event-fixtures';
import { createTestApp, dataSourceOf } from '../support/test-app';

/** Headers that differ between any two answers. */
const PER_RESPONSE = ['date', 'x-request-id'];

/**
 * The answer replay (apps/api/src/common/answer-replay.ts): a repeated anonymous public read is answered before it
 * reaches Nest. That it stays fresh after every kind of write is what events-cache.e2e-spec asserts, on these same
 * reads; here, that a replayed answer is the one Nest gives, and that it is keyed by everything the answer depends on.
 */
describe('answer replay: repeated anonymous public reads', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let organizer: TestSession;
  let routeRuns: jest.SpyInstance[];

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    organizer = await loginAs(app, 'staff');
    const catalog = app.get(EventCatalog);
    routeRuns = [jest.spyOn(catalog, 'list'), jest.spyOn(catalog, 'details'), jest.spyOn(catalog, 'availability')];
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  /** supertest listens on a new port for each request, and the Host names it: a replay needs the same URL. */
  const get = (path: string) => http.get(path).set('Host', 'localhost');
  const newEvent = (name = marker()) =>
    createEvent(dataSourceOf(app), { organizerId: organizer.user.id, name, capacity: 10 });
  const routeRan = () => routeRuns.reduce((sum, spy) => sum + spy.mock.calls.length, 0);

  /** Asks until an answer comes without the route having run: a replay. */
  async function replayed(ask: () => Promise<Response>): Promise<Response> {
    return eventually(async () => {
      const ran = routeRan();
      const response = await ask();
      return routeRan() === ran ? response : undefined;
    });
  }

  const stableHeaders = (response: Response) =>
    Object.fromEntries(Object.entries(response.headers).filter(([name]) => !PER_RESPONSE.includes(name)));

  it.each([
    ['details', (id: string) => `/api/user/events/${id}/`],
    ['availability', (id: string) => `/api/events/${id}/availability/`],
  ])('answers %s as Nest does: status, headers and body', async (_route, path) => {
    const eventId = await newEvent();
    const fromNest = await get(path(eventId)).expect(200);
    const replay = await replayed(() => get(path(eventId)));
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(fromNest.text);
    expect(stableHeaders(replay)).toEqual(stableHeaders(fromNest));
    expect(replay.headers['x-request-id']).not.toBe(fromNest.headers['x-request-id']);
  });

  it("keys a list by its absolute URL: each answer's links name the host it was asked on", async () => {
    const name = marker();
    await newEvent(name);
    await newEvent(name);
    const page = (host: string) =>
      http.get('/api/user/events/').query({ search: name, page_size: 1 }).set('Host', host);
    const onLocalhost = await replayed(() => page('localhost'));
    expect(onLocalhost.body.next).toMatch(/^http:\/\/localhost\//);
    expect((await page('127.0.0.1').expect(200)).body.next).toMatch(/^http:\/\/127\.0\.0\.1\//);
  });

  it('keeps an answer only under the version trusted when its request arrived', async () => {
    const redis = app.get(RedisService);
    const watch = app.get(VersionWatch);
    const queries = app.get(EventQueries);
    const otherProcess = new Redis(process.env.REDIS_URL as string);
    const name = marker();
    const eventId = await newEvent(name);
    const catalogVersion = redis.key('version:catalog');
    const list = (query: Record<string, string | number>) => get('/api/user/events/').query(query);
    await eventually(
      async () => ((await list({ search: name, page_size: 2 })) && watch.trusted(catalogVersion)) || undefined,
    );

    // A: a list this process has not been asked for (read from PostgreSQL), held after its read, before a write.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    const listPublic = queries.listPublic.bind(queries);
    jest.spyOn(queries, 'listPublic').mockImplementationOnce(async (...args) => {
      const result = await listPublic(...args);
      readDone();
      await held;
      return result;
    });
    const answerA = list({ search: name, page_size: 1 }).then((response) => response);
    await read;
    // Another process writes and bumps; its announcement is slow to arrive here.
    const announced: string[][] = [];
    const forget = watch.forget.bind(watch);
    const announce = jest.spyOn(watch, 'forget').mockImplementation((keys) => void announced.push([...keys]));
    try {
      await dataSourceOf(app).query(`UPDATE events SET description = 'after the write' WHERE id = $1`, [eventId]);
      await otherProcess.incr(catalogVersion);
      // B: a list read through Redis meanwhile learns the new version, legitimately.
      await list({ search: name, page_size: 3 });
      await list({ page_size: 3, search: name });
      release();
      expect((await answerA).body.results[0].description).not.toBe('after the write');
    } finally {
      announce.mockRestore();
      for (const keys of announced) forget(keys);
      otherProcess.disconnect();
    }
    await list({ search: name, page_size: 3 }); // the new version is trusted again
    expect((await list({ search: name, page_size: 1 })).body.results[0].description).toBe('after the write');
  });

  it('runs the route for every request that carries credentials', async () => {
    const eventId = await newEvent();
    await replayed(() => get(`/api/user/events/${eventId}/`));
    const ran = routeRan();
    await get(`/api/user/events/${eventId}/`).set(organizer.headers).expect(200);
    expect(routeRan()).toBe(ran + 1);
  });

  it('replays no error: an unknown event is looked up every time', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await get(`/api/user/events/${unknown}/`).expect(404);
    const ran = routeRan();
    await get(`/api/user/events/${unknown}/`).expect(404);
    expect(routeRan()).toBe(ran + 1);
  });
});
