import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createEvent, loginAs, TestSession, uniqueName } from '@evently/testing';

import { createTestApp, dataSourceOf } from '../support/test-app';

type Caller = 'anonymous' | 'user' | 'staff' | 'organizer' | 'superuser';
const CALLERS: Caller[] = ['anonymous', 'user', 'staff', 'organizer', 'superuser'];

interface Endpoint {
  name: string;
  /** Sends the request for a fresh event owned by the organizer. */
  send: (http: ReturnType<typeof request>, eventId: string) => request.Test;
  expected: Record<Caller, number>;
}

const eventBody = () => ({
  name: 'Matrix Event',
  venue: 'Matrix Hall',
  time: '2031-06-15T09:00:00Z',
  capacity: 10,
  price_per_ticket: 5,
});

const ENDPOINTS: Endpoint[] = [
  {
    name: 'POST admin/events',
    send: (http) => http.post('/api/admin/events/').send(eventBody()),
    expected: { anonymous: 401, user: 403, staff: 201, organizer: 201, superuser: 201 },
  },
  {
    name: 'GET admin/events/list',
    send: (http) => http.get('/api/admin/events/list/'),
    expected: { anonymous: 401, user: 403, staff: 200, organizer: 200, superuser: 200 },
  },
  {
    name: 'GET admin/events/:id/details',
    send: (http, id) => http.get(`/api/admin/events/${id}/details/`),
    expected: { anonymous: 401, user: 403, staff: 200, organizer: 200, superuser: 200 },
  },
  {
    name: 'PUT admin/events/:id',
    send: (http, id) => http.put(`/api/admin/events/${id}/`).send({ name: 'Renamed', capacity: 20 }),
    expected: { anonymous: 401, user: 403, staff: 403, organizer: 200, superuser: 200 },
  },
  {
    name: 'DELETE admin/events/:id/delete',
    send: (http, id) => http.delete(`/api/admin/events/${id}/delete/`),
    expected: { anonymous: 401, user: 403, staff: 403, organizer: 200, superuser: 200 },
  },
  {
    name: 'GET user/events',
    send: (http) => http.get('/api/user/events/'),
    expected: { anonymous: 200, user: 200, staff: 200, organizer: 200, superuser: 200 },
  },
  {
    name: 'GET user/events/:id',
    send: (http, id) => http.get(`/api/user/events/${id}/`),
    expected: { anonymous: 200, user: 200, staff: 200, organizer: 200, superuser: 200 },
  },
  {
    name: 'GET events/:id/availability',
    send: (http, id) => http.get(`/api/events/${id}/availability/`),
    expected: { anonymous: 200, user: 200, staff: 200, organizer: 200, superuser: 200 },
  },
  {
    name: 'POST admin/users/staff',
    send: (http) =>
      http.post('/api/admin/users/staff/').send({
        username: uniqueName('staffer'),
        email: 'staffer@example.com',
        password: 'a-long-enough-password',
      }),
    expected: { anonymous: 401, user: 403, staff: 403, organizer: 403, superuser: 201 },
  },
  {
    name: 'POST admin/users/bulk_delete',
    send: (http) => http.post('/api/admin/users/bulk_delete/').send({ prefix: uniqueName('nobody') }),
    expected: { anonymous: 401, user: 403, staff: 200, organizer: 200, superuser: 200 },
  },
];

const CASES = ENDPOINTS.flatMap((endpoint) =>
  CALLERS.map((caller) => [endpoint.name, caller, endpoint.expected[caller], endpoint] as const),
);

describe('authorization matrix of the event and admin-user endpoints', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let sessions: Record<Exclude<Caller, 'anonymous'>, TestSession>;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    sessions = {
      user: await loginAs(app, 'user'),
      staff: await loginAs(app, 'staff'),
      organizer: await loginAs(app, 'staff'),
      superuser: await loginAs(app, 'superuser'),
    };
  });
  afterAll(() => app.close());

  it.each(CASES)('%s as %s → %i', async (_name, caller, status, endpoint) => {
    const eventId = await createEvent(dataSource, { organizerId: sessions.organizer.user.id, capacity: 10 });
    const [before] = await dataSource.query(`SELECT * FROM events WHERE id = $1`, [eventId]);
    const pending = endpoint.send(http, eventId);
    const response = caller === 'anonymous' ? await pending : await pending.set(sessions[caller].headers);

    expect(response.status).toBe(status);
    if (status >= 400) {
      expect(response.body).toEqual({ error: expect.any(String), details: null });
      const [after] = await dataSource.query(`SELECT * FROM events WHERE id = $1`, [eventId]);
      expect(after).toEqual(before);
    }
  });

  it('refuses a bad token with 401 even on public routes', async () => {
    const eventId = await createEvent(dataSource, { organizerId: sessions.organizer.user.id });
    for (const path of ['/api/user/events/', `/api/user/events/${eventId}/`, `/api/events/${eventId}/availability/`]) {
      await http
        .get(path)
        .set('Authorization', `Token ${'f'.repeat(64)}`)
        .expect(401);
    }
  });

  it('lets the organizer, and only them among staff, change their event', async () => {
    const eventId = await createEvent(dataSource, { organizerId: sessions.organizer.user.id });
    await http.put(`/api/admin/events/${eventId}/`).set(sessions.staff.headers).send({ name: 'Hijacked' }).expect(403);
    const renamed = await http
      .put(`/api/admin/events/${eventId}/`)
      .set(sessions.organizer.headers)
      .send({ name: 'Renamed by organizer' })
      .expect(200);
    expect(renamed.body.name).toBe('Renamed by organizer');
  });
});
