import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createEvent, inventoryOf, loginAs, TestRole, TestSession, uniqueName } from '@evently/testing';

import { marker, seedBookings } from '../support/event-fixtures';
import { createTestApp, dataSourceOf } from '../support/test-app';

describe('admin users: staff creation and bulk delete of test users', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let staff: TestSession;
  let superuser: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    staff = await loginAs(app, 'staff');
    superuser = await loginAs(app, 'superuser');
  });
  afterAll(() => app.close());

  const exists = async (userId: number) =>
    (await dataSource.query(`SELECT 1 FROM users WHERE id = $1`, [userId])).length === 1;

  describe('POST /api/admin/users/staff/', () => {
    it('creates a staff user who can log in and create events, never a superuser', async () => {
      const username = uniqueName('staff_user');
      const response = await http
        .post('/api/admin/users/staff/')
        .set(superuser.headers)
        .send({
          username,
          email: 'staff@example.com',
          password: 'a-secure-staff-password',
          first_name: 'Staff',
          last_name: 'User',
          is_superuser: true,
          is_staff: false,
        })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(Number),
        username,
        email: 'staff@example.com',
        first_name: 'Staff',
        last_name: 'User',
        phone_number: null,
        address: null,
        is_staff: true,
        is_superuser: false,
      });
      const [row] = await dataSource.query(`SELECT is_staff, is_superuser, password FROM users WHERE id = $1`, [
        response.body.id,
      ]);
      expect(row).toMatchObject({
        is_staff: true,
        is_superuser: false,
        password: expect.stringMatching(/^\$argon2id\$/),
      });

      const login = await http
        .post('/api/user/auth/login/')
        .send({ username, password: 'a-secure-staff-password' })
        .expect(200);
      await http
        .post('/api/admin/events')
        .set('Authorization', `Token ${login.body.token}`)
        .send({ name: 'By new staff', venue: 'Hall', time: '2031-01-01T10:00:00Z', capacity: 5, price_per_ticket: 1 })
        .expect(201);
      await http
        .post('/api/admin/users/staff')
        .set('Authorization', `Token ${login.body.token}`)
        .send({ username: uniqueName('x'), email: 'x@example.com', password: 'another-long-password' })
        .expect(403);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a weak password', { password: 'short' }, 'password'],
      ['a common password', { password: 'password1234' }, 'password'],
      ['a bad email', { email: 'nope' }, 'email'],
      ['a bad username', { username: 'bad name' }, 'username'],
      ['a NUL in the name', { first_name: 'a\u0000' }, 'first_name'],
      ['a 200-character name, half of it variation selectors', { last_name: '\u2764\uFE0F'.repeat(100) }, 'last_name'],
    ])('refuses %s with 400', async (_case, overrides, field) => {
      const response = await http
        .post('/api/admin/users/staff/')
        .set(superuser.headers)
        .send({ username: uniqueName('s'), email: 's@example.com', password: 'a-secure-staff-password', ...overrides });
      expect(response.status).toBe(400);
      expect(response.body.details).toHaveProperty(field);
    });

    it('refuses a taken username with 400', async () => {
      const response = await http
        .post('/api/admin/users/staff/')
        .set(superuser.headers)
        .send({ username: staff.user.username, email: 's@example.com', password: 'a-secure-staff-password' })
        .expect(400);
      expect(response.body.details).toHaveProperty('username');
    });

    it('refuses an explicit null first name, as register does', async () => {
      const response = await http
        .post('/api/admin/users/staff/')
        .set(superuser.headers)
        .send({
          username: uniqueName('staff'),
          email: 's@example.com',
          password: 'a-secure-staff-password',
          first_name: null,
        })
        .expect(400);
      expect(Object.keys(response.body.details)).toEqual(['first_name']);
    });
  });

  describe('POST /api/admin/users/bulk_delete/', () => {
    const bulkDelete = (prefix: unknown, session = staff) =>
      http.post('/api/admin/users/bulk_delete/').set(session.headers).send({ prefix });

    it('deletes plain users with the prefix and spares staff, superusers, the caller and organizers', async () => {
      const prefix = `${marker()}_`;
      const user = (role: TestRole, suffix: string) => loginAs(app, role, `${prefix}${suffix}`);
      const doomed = [await user('user', 'a'), await user('user', 'b'), await user('user', 'c')];
      const keptStaff = await user('staff', 'staff');
      const keptSuperuser = await user('superuser', 'super');
      // A superuser without staff status, as Django allows and a database carried over from it may hold.
      const keptSuperuserNotStaff = await user('user', 'super_only');
      await dataSource.query(`UPDATE users SET is_superuser = true WHERE id = $1`, [keptSuperuserNotStaff.user.id]);
      const caller = await user('staff', 'caller');
      const organizer = await user('user', 'organizer');
      await createEvent(dataSource, { organizerId: organizer.user.id });
      const stranger = await loginAs(app, 'user', `x${prefix}d`);

      const response = await bulkDelete(prefix, caller).expect(200);
      expect(response.body).toEqual({ deleted_users: 3, prefix });
      for (const session of doomed) {
        expect(await exists(session.user.id)).toBe(false);
        await http.get('/api/user/auth/me/').set(session.headers).expect(401);
      }
      for (const session of [keptStaff, keptSuperuser, keptSuperuserNotStaff, caller, organizer, stranger]) {
        expect(await exists(session.user.id)).toBe(true);
      }
      expect((await bulkDelete(prefix, caller).expect(200)).body).toEqual({ deleted_users: 0, prefix });
    });

    it('matches % and _ literally and is case-sensitive', async () => {
      const base = marker();
      const underscoreUser = await loginAs(app, 'user', `${base}_u1`);
      const letterUser = await loginAs(app, 'user', `${base}xu1`);
      const upperUser = await loginAs(app, 'user', `${base.toUpperCase()}_u1`);

      expect((await bulkDelete(`${base}%`).expect(200)).body.deleted_users).toBe(0);
      expect((await bulkDelete(`${base.slice(0, 3)}%`).expect(200)).body.deleted_users).toBe(0);
      expect((await bulkDelete(`${base}_`).expect(200)).body.deleted_users).toBe(1);
      expect(await exists(underscoreUser.user.id)).toBe(false);
      expect(await exists(letterUser.user.id)).toBe(true);
      expect(await exists(upperUser.user.id)).toBe(true);
      expect((await bulkDelete("' OR 1=1 --").expect(200)).body).toEqual({ deleted_users: 0, prefix: "' OR 1=1 --" });
    });

    it('returns the confirmed seats of deleted users to their events and leaves other bookings alone', async () => {
      const prefix = `${marker()}_`;
      const leaving = await loginAs(app, 'user', `${prefix}leaving`);
      const leavingToo = await loginAs(app, 'user', `${prefix}leaving2`);
      const staying = await loginAs(app, 'user');
      const first = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 20 });
      const second = await createEvent(dataSource, { organizerId: staff.user.id, capacity: 20 });
      await seedBookings(dataSource, {
        eventId: first,
        userId: leaving.user.id,
        status: 'confirmed',
        count: 2,
        tickets: 3,
      });
      await seedBookings(dataSource, { eventId: first, userId: leaving.user.id, status: 'processing', tickets: 2 });
      await seedBookings(dataSource, { eventId: first, userId: leaving.user.id, status: 'cancelled', tickets: 5 });
      await seedBookings(dataSource, { eventId: first, userId: staying.user.id, status: 'confirmed', tickets: 4 });
      await seedBookings(dataSource, { eventId: second, userId: leavingToo.user.id, status: 'confirmed', tickets: 7 });
      await seedBookings(dataSource, { eventId: second, userId: leaving.user.id, status: 'failed', tickets: 1 });
      // Read (and so cached) before the delete: the seats it returns must show at once, not when the cache expires.
      await http.get(`/api/events/${first}/availability/`).expect(200, { event_id: first, available_tickets: 10 });
      await http.get(`/api/events/${second}/availability/`).expect(200, { event_id: second, available_tickets: 13 });

      expect((await bulkDelete(prefix).expect(200)).body.deleted_users).toBe(2);

      expect(await inventoryOf(dataSource, first)).toEqual({
        capacity: 20,
        booked_tickets: 4,
        confirmed_tickets: 4,
        unsettled: 0,
      });
      expect(await inventoryOf(dataSource, second)).toEqual({
        capacity: 20,
        booked_tickets: 0,
        confirmed_tickets: 0,
        unsettled: 0,
      });
      await http.get(`/api/events/${first}/availability/`).expect(200, { event_id: first, available_tickets: 16 });
      await http.get(`/api/events/${second}/availability/`).expect(200, { event_id: second, available_tickets: 20 });
    });

    it.each<[string, unknown]>([
      ['a 2-character prefix', 'ab'],
      ['an empty prefix', ''],
      ['a missing prefix', undefined],
      ['a numeric prefix', 12345],
      ['a NUL byte', 'abc\u0000'],
      ['a 151-character prefix', 'p'.repeat(151)],
    ])('refuses %s with 400 and deletes nothing', async (_case, prefix) => {
      const [{ count: before }] = await dataSource.query(`SELECT count(*)::int AS count FROM users`);
      const response = await bulkDelete(prefix);
      expect(response.status).toBe(400);
      expect(response.body.details).toHaveProperty('prefix');
      const [{ count: after }] = await dataSource.query(`SELECT count(*)::int AS count FROM users`);
      expect(after).toBe(before);
    });

    it('refuses a 5 MB body with 413', async () => {
      const response = await bulkDelete('p'.repeat(5 * 1024 * 1024));
      expect(response.status).toBe(413);
    });
  });
});
