import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { User } from '@evently/database';
import { TokensService } from '@evently/users';
import { createEvent, loginAs, TEST_PASSWORD, uniqueName } from '@evently/testing';

import { insertBookings } from '../support/booking-rows';
import { apiOperations, urlOf } from '../support/openapi-operations';
import { createTestApp, dataSourceOf } from '../support/test-app';

/** `user` owns the booking (and is the `{user_id}`); `organizer` is the staff member who owns the event. */
type Caller = 'anonymous' | 'user' | 'other_user' | 'staff' | 'organizer' | 'superuser';
const CALLERS: Caller[] = ['anonymous', 'user', 'other_user', 'staff', 'organizer', 'superuser'];

interface Fixture {
  eventId: string;
  bookingId: string;
  owner: User;
}

interface Row {
  params?: (fixture: Fixture) => Record<string, string>;
  body?: (fixture: Fixture) => object;
  /** One status, or the statuses a caller may see (health depends on whether a worker runs). */
  expected: Record<Caller, number | number[]>;
}

const each = (status: number | number[]): Record<Caller, number | number[]> =>
  Object.fromEntries(CALLERS.map((caller) => [caller, status])) as Record<Caller, number | number[]>;
const SIGNED_IN = { anonymous: 401, user: 200, other_user: 200, staff: 200, organizer: 200, superuser: 200 };
const STAFF = { anonymous: 401, user: 403, other_user: 403, staff: 200, organizer: 200, superuser: 200 };
const ORGANIZER = { ...STAFF, staff: 403 };
const OWNER = { ...SIGNED_IN, other_user: 403 };
const event = (fixture: Fixture) => ({ id: fixture.eventId });
const booking = (fixture: Fixture) => ({ id: fixture.bookingId });

/**
 * Who may call what: one row per operation of the OpenAPI document. A new route fails the completeness
 * test below until it gets its row here.
 */
const ROWS: Record<string, Row> = {
  'POST /api/user/auth/register': {
    body: () => ({ username: uniqueName('matrix'), email: 'matrix@example.com', password: 'a-long-enough-password' }),
    expected: each(201),
  },
  'POST /api/user/auth/login': {
    body: (fixture) => ({ username: fixture.owner.username, password: TEST_PASSWORD }),
    expected: each(200),
  },
  'POST /api/user/auth/logout': { expected: SIGNED_IN },
  'GET /api/user/auth/me': { expected: SIGNED_IN },
  'GET /api/user/events': { expected: each(200) },
  'GET /api/user/events/{id}': { params: event, expected: each(200) },
  'GET /api/events/{id}/availability': { params: event, expected: each(200) },
  'POST /api/admin/events': {
    body: () => ({
      name: 'Matrix Event',
      venue: 'Hall',
      time: '2031-06-15T09:00:00Z',
      capacity: 10,
      price_per_ticket: 5,
    }),
    expected: { ...STAFF, staff: 201, organizer: 201, superuser: 201 },
  },
  'GET /api/admin/events/list': { expected: STAFF },
  'GET /api/admin/events/{id}/details': { params: event, expected: STAFF },
  'PUT /api/admin/events/{id}': { params: event, body: () => ({ name: 'Renamed', capacity: 20 }), expected: ORGANIZER },
  'DELETE /api/admin/events/{id}/delete': { params: event, expected: ORGANIZER },
  'POST /api/admin/events/{id}/notify': {
    params: event,
    body: () => ({ message: 'Doors open at 8.' }),
    expected: STAFF,
  },
  'POST /api/admin/users/staff': {
    body: () => ({ username: uniqueName('staffer'), email: 'staffer@example.com', password: 'a-long-enough-password' }),
    expected: { ...STAFF, staff: 403, organizer: 403, superuser: 201 },
  },
  'POST /api/admin/users/bulk_delete': { body: () => ({ prefix: uniqueName('nobody') }), expected: STAFF },
  'POST /api/bookings': {
    body: (fixture) => ({ user_id: fixture.owner.id, event_id: fixture.eventId, number_of_tickets: 1 }),
    expected: { anonymous: 401, user: 201, other_user: 403, staff: 201, organizer: 201, superuser: 201 },
  },
  'GET /api/bookings/{id}': { params: booking, expected: OWNER },
  'DELETE /api/bookings/{id}': { params: booking, expected: OWNER },
  'GET /api/users/{user_id}/bookings': {
    params: (fixture) => ({ user_id: String(fixture.owner.id) }),
    expected: { ...SIGNED_IN, other_user: 403 },
  },
  'GET /api/admin/analytics': { expected: STAFF },
  'GET /api/admin/analytics/{event_id}': { params: (fixture) => ({ event_id: fixture.eventId }), expected: STAFF },
  'GET /api/health': { expected: each([200, 503]) },
  'GET /api/metrics': { expected: STAFF },
};

const CASES = Object.entries(ROWS).flatMap(([key, row]) =>
  CALLERS.map((caller) => [key, caller, row.expected[caller], row] as const),
);

describe('authorization matrix: every operation × every role', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let users: Record<Exclude<Caller, 'anonymous'>, User>;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    const roles = { user: 'user', other_user: 'user', staff: 'staff', organizer: 'staff', superuser: 'superuser' };
    users = Object.fromEntries(
      await Promise.all(
        Object.entries(roles).map(async ([caller, role]) => [caller, (await loginAs(app, role as 'user')).user]),
      ),
    );
  });
  afterAll(() => app.close());

  it('has a row for every operation of the OpenAPI document, and none for a removed one', async () => {
    const documented = (await apiOperations(http)).map((operation) => operation.key);
    const missing = documented.filter((key) => !(key in ROWS));
    const stale = Object.keys(ROWS).filter((key) => !documented.includes(key));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  it.each(CASES)('%s as %s → %p', async (key, caller, expected, row) => {
    const fixture = await newFixture();
    const snapshot = () => snapshotOf(dataSource, fixture);
    const before = await snapshot();
    const [method, path] = key.split(' ');
    const pending = http[method.toLowerCase() as 'get'](urlOf({ path }, row.params?.(fixture) ?? {}));
    if (caller !== 'anonymous') {
      // A fresh token per case: logout revokes the one it is sent with.
      pending.set('Authorization', `Token ${await app.get(TokensService).issue(users[caller].id)}`);
    }
    const response = await (row.body ? pending.send(row.body(fixture)) : pending);

    const allowed = [expected].flat();
    if (allowed.length === 1) expect(response.status).toBe(allowed[0]);
    else expect(allowed).toContain(response.status);
    if (response.status >= 400 && response.status !== 503) {
      expect(response.body).toEqual({ error: expect.any(String), details: null });
      expect(await snapshot()).toEqual(before);
    }
    // DRF's TokenAuthentication challenges with its scheme; only a 401 carries one.
    expect(response.headers['www-authenticate']).toBe(response.status === 401 ? 'Token' : undefined);
  });

  it('refuses a bad token with 401 even on public routes', async () => {
    const { eventId } = await newFixture();
    for (const path of ['/api/user/events/', `/api/user/events/${eventId}/`, `/api/events/${eventId}/availability/`]) {
      await http
        .get(path)
        .set('Authorization', `Token ${'f'.repeat(64)}`)
        .expect(401)
        .expect('www-authenticate', 'Token');
    }
  });

  it("takes another scheme's credentials (a staging proxy's HTTP Basic) as none at all, as DRF's TokenAuthentication does", async () => {
    const { eventId } = await newFixture();
    const basic = `Basic ${Buffer.from('staging:secret').toString('base64')}`;
    for (const path of ['/api/user/events/', `/api/user/events/${eventId}/`, `/api/events/${eventId}/availability/`]) {
      await http.get(path).set('Authorization', basic).expect(200);
    }
    await http.get('/api/user/auth/me/').set('Authorization', basic).expect(401).expect('www-authenticate', 'Token');
  });

  async function newFixture(): Promise<Fixture> {
    const eventId = await createEvent(dataSource, { organizerId: users.organizer.id, capacity: 10 });
    const [bookingId] = await insertBookings(dataSource, [{ eventId, userId: users.user.id, status: 'confirmed' }]);
    return { eventId, bookingId, owner: users.user };
  }
});

async function snapshotOf(dataSource: DataSource, fixture: Fixture) {
  const [event] = await dataSource.query(`SELECT * FROM events WHERE id = $1`, [fixture.eventId]);
  const bookings = await dataSource.query(`SELECT * FROM bookings WHERE event_id = $1 ORDER BY id`, [fixture.eventId]);
  return { event, bookings };
}
