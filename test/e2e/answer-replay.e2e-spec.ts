import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request, { Response } from 'supertest';

import { EventCatalog } from '@evently/events';
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
