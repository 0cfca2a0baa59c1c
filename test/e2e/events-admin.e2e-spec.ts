import { randomBytes } from 'node:crypto';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { BookingAllocator } from '@evently/bookings';
import { jobIds } from '@evently/queue';
import { createEvent, inventoryOf, loginAs, TestSession, uniqueName } from '@evently/testing';

import { marker, seedBookings, seedEvents } from '../support/event-fixtures';
import { createTestApp, dataSourceOf } from '../support/test-app';

const DAY_MS = 24 * 3600 * 1000;
const future = (days: number) => new Date(Date.now() + days * DAY_MS);
const past = (days: number) => new Date(Date.now() - days * DAY_MS);

describe('admin events: create, list, details, update, delete', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let organizer: TestSession;
  let superuser: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    organizer = await loginAs(app, 'staff');
    superuser = await loginAs(app, 'superuser');
  });
  afterAll(() => app.close());

  const validEvent = (overrides: Record<string, unknown> = {}) => ({
    name: 'Tech Conference 2030',
    venue: 'Convention Center',
    time: '2030-06-15T09:00:00Z',
    capacity: 500,
    description: 'Annual technology conference',
    price_per_ticket: 150.0,
    ...overrides,
  });

  describe('POST /api/admin/events/', () => {
    it('creates an event organised by the caller and answers 201 with the spec body', async () => {
      const response = await http.post('/api/admin/events/').set(organizer.headers).send(validEvent()).expect(201);
      expect(response.body).toEqual({
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Tech Conference 2030',
        venue: 'Convention Center',
        time: '2030-06-15T09:00:00Z',
        capacity: 500,
      });
      const [row] = await dataSource.query(
        `SELECT organizer_id, price_per_ticket, description, is_active, booked_tickets, deleted_at
           FROM events WHERE id = $1`,
        [response.body.event_id],
      );
      expect(row).toEqual({
        organizer_id: organizer.user.id,
        price_per_ticket: '150.00',
        description: 'Annual technology conference',
        is_active: true,
        booked_tickets: 0,
        deleted_at: null,
      });
    });

    it('answers without the trailing slash, normalises offsets to UTC and accepts decimal strings', async () => {
      const response = await http
        .post('/api/admin/events')
        .set(organizer.headers)
        .send(validEvent({ time: '2030-06-15T09:00:00+02:00', price_per_ticket: '19.99', description: undefined }))
        .expect(201);
      expect(response.body.time).toBe('2030-06-15T07:00:00Z');
      const details = await http.get(`/api/admin/events/${response.body.event_id}/details/`).set(organizer.headers);
      expect(details.body).toMatchObject({ price_per_ticket: 19.99, description: null, is_active: true });
    });

    it('stores hostile text literally', async () => {
      const name = `' OR 1=1 --; DROP TABLE events; %_\\`;
      const response = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send(validEvent({ name, venue: '<script>alert(1)</script>', description: '🎉 ünïcode' }))
        .expect(201);
      const details = await http.get(`/api/admin/events/${response.body.event_id}/details/`).set(organizer.headers);
      expect(details.body).toMatchObject({ name, venue: '<script>alert(1)</script>', description: '🎉 ünïcode' });
    });

    it('stores the longest name, venue and description, however little they compress', async () => {
      const random = (length: number) => randomBytes(length).toString('base64').slice(0, length);
      const text = { name: random(255), venue: random(255), description: random(10_000) };
      const response = await http.post('/api/admin/events/').set(organizer.headers).send(validEvent(text)).expect(201);
      const url = `/api/admin/events/${response.body.event_id}/`;
      const description = random(10_000);
      await http.put(url).set(organizer.headers).send({ description }).expect(200);
      const details = await http.get(`${url}details/`).set(organizer.headers);
      expect(details.body).toMatchObject({ ...text, description });
    });

    it('counts characters as PostgreSQL does: 255 emoji, or 255 with variation selectors among them, fit a name', async () => {
      for (const name of ['😀'.repeat(255), `${'\u2764\uFE0F'.repeat(127)}x`]) {
        const { body } = await http
          .post('/api/admin/events/')
          .set(organizer.headers)
          .send(validEvent({ name }))
          .expect(201);
        const details = await http.get(`/api/admin/events/${body.event_id}/details/`).set(organizer.headers);
        expect(details.body.name).toBe(name);
      }
    });

    it('reads a capacity and is_active sent as text, as DRF does', async () => {
      const overrides = { capacity: '500', is_active: 'False', price_per_ticket: '12.50' };
      const { body } = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send(validEvent(overrides))
        .expect(201);
      const url = `/api/admin/events/${body.event_id}/`;
      const created = await http.get(`${url}details/`).set(organizer.headers);
      expect(created.body).toMatchObject({ capacity: 500, is_active: false, price_per_ticket: 12.5 });
      await http.put(url).set(organizer.headers).send({ is_active: 'on', capacity: '400' }).expect(200);
      const updated = await http.get(`${url}details/`).set(organizer.headers);
      expect(updated.body).toMatchObject({ capacity: 400, is_active: true });
    });

    it("takes a number for a name or venue as its text, as DRF's CharField did", async () => {
      const { body } = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send(validEvent({ name: 42, venue: 7.5 }))
        .expect(201);
      const details = await http.get(`/api/admin/events/${body.event_id}/details/`).set(organizer.headers);
      expect(details.body).toMatchObject({ name: '42', venue: '7.5' });
    });

    it('keeps price exact at the bounds', async () => {
      for (const price of [0, 0.01, 0.29, 99_999_999.99]) {
        const { body } = await http
          .post('/api/admin/events/')
          .set(organizer.headers)
          .send(validEvent({ price_per_ticket: price }))
          .expect(201);
        const details = await http.get(`/api/admin/events/${body.event_id}/details/`).set(organizer.headers);
        expect(details.body.price_per_ticket).toBe(price);
      }
    });

    it('ignores server-owned fields', async () => {
      const { body } = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send(
          validEvent({
            organizer_id: superuser.user.id,
            booked_tickets: 400,
            id: '00000000-0000-0000-0000-000000000000',
          }),
        )
        .expect(201);
      expect(body.event_id).not.toBe('00000000-0000-0000-0000-000000000000');
      const details = await http.get(`/api/admin/events/${body.event_id}/details/`).set(organizer.headers);
      expect(details.body).toMatchObject({ organizer: { id: organizer.user.id }, available_tickets: 500 });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['no name', { name: undefined }, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a 256-character name', { name: 'n'.repeat(256) }, 'name'],
      ['a name of 400 characters, half of them variation selectors', { name: 'a\uFE0F'.repeat(200) }, 'name'],
      ['a boolean name', { name: true }, 'name'],
      ['a NUL in the name', { name: 'bad\u0000name' }, 'name'],
      ['no venue', { venue: undefined }, 'venue'],
      ['a 256-character venue', { venue: 'v'.repeat(256) }, 'venue'],
      ['a NUL in the venue', { venue: '\u0000' }, 'venue'],
      ['a NUL in the description', { description: 'a\u0000b' }, 'description'],
      ['a 10,001-character description', { description: 'd'.repeat(10_001) }, 'description'],
      ['no capacity', { capacity: undefined }, 'capacity'],
      ['capacity 0', { capacity: 0 }, 'capacity'],
      ['capacity 1,000,001', { capacity: 1_000_001 }, 'capacity'],
      ['a fractional capacity', { capacity: 1.5 }, 'capacity'],
      ['a capacity in words', { capacity: 'ten' }, 'capacity'],
      ['a fractional capacity as text', { capacity: '10.5' }, 'capacity'],
      ['no price', { price_per_ticket: undefined }, 'price_per_ticket'],
      ['a negative price', { price_per_ticket: -1 }, 'price_per_ticket'],
      ['a price over 99,999,999.99', { price_per_ticket: 100_000_000 }, 'price_per_ticket'],
      ['three decimals', { price_per_ticket: 1.234 }, 'price_per_ticket'],
      [
        'more decimals as text than a number tells apart',
        { price_per_ticket: '10.009999999999999999' },
        'price_per_ticket',
      ],
      ['a tiny fraction', { price_per_ticket: 1e-7 }, 'price_per_ticket'],
      ['a non-numeric price', { price_per_ticket: 'free' }, 'price_per_ticket'],
      ['no time', { time: undefined }, 'time'],
      ['a time without zone', { time: '2030-06-15T09:00:00' }, 'time'],
      ['a date only', { time: '2030-06-15' }, 'time'],
      ['an impossible time', { time: '2030-02-31T25:00:00Z' }, 'time'],
      ['an impossible day (30 February)', { time: '2030-02-30T10:00:00Z' }, 'time'],
      ['29 February of a common year', { time: '2031-02-29T10:00:00+02:00' }, 'time'],
      ['a time in words', { time: 'tomorrow' }, 'time'],
      ['a time in the past', { time: '2020-01-01T00:00:00Z' }, 'time'],
      ['a time that is year 10000 in UTC', { time: '9999-12-31T23:30:00-01:00' }, 'time'],
      ['a non-boolean is_active', { is_active: 'maybe' }, 'is_active'],
      ['an is_active of 2', { is_active: 2 }, 'is_active'],
      ['a null is_active', { is_active: null }, 'is_active'],
    ])('refuses %s with 400 and per-field details', async (_case, overrides, field) => {
      const response = await http.post('/api/admin/events/').set(organizer.headers).send(validEvent(overrides));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: expect.any(String),
        details: expect.objectContaining({ [field]: expect.any(Array) }),
      });
    });

    it('refuses a price of more than 2 decimals, as a number or as text, with that one message', async () => {
      for (const price of [1.234, '10.001', '10.009999999999999999', '99999999.999']) {
        const response = await http
          .post('/api/admin/events/')
          .set(organizer.headers)
          .send(validEvent({ price_per_ticket: price }));
        expect({ price, status: response.status, details: response.body.details }).toEqual({
          price,
          status: 400,
          details: { price_per_ticket: ['price_per_ticket must have at most 2 decimal places'] },
        });
      }
    });

    it('refuses bodies that are not a JSON object, and 5 MB bodies with 413', async () => {
      for (const body of ['[]', '"text"', '{"name":', 'null']) {
        const response = await http
          .post('/api/admin/events/')
          .set(organizer.headers)
          .set('Content-Type', 'application/json')
          .send(body);
        expect(response.status).toBe(400);
        expect(response.body.error).toEqual(expect.any(String));
        expect(response.body).toHaveProperty('details');
      }
      const huge = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send(validEvent({ description: 'x'.repeat(5 * 1024 * 1024) }));
      expect(huge.status).toBe(413);
      expect(huge.body.error).toEqual(expect.any(String));
    });
  });

  describe('GET /api/admin/events/list/', () => {
    const list = (query: Record<string, string | number | boolean>) =>
      http.get('/api/admin/events/list/').query(query).set(organizer.headers);

    it('lists every live event with the admin fields, including inactive and past ones', async () => {
      const venue = marker();
      const active = await createEvent(dataSource, {
        organizerId: organizer.user.id,
        venue,
        capacity: 50,
        price: '12.50',
      });
      const inactive = await createEvent(dataSource, { organizerId: organizer.user.id, venue, isActive: false });
      const finished = await createEvent(dataSource, { organizerId: organizer.user.id, venue, time: past(3) });
      const deleted = await createEvent(dataSource, { organizerId: organizer.user.id, venue });
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
      await seedBookings(dataSource, { eventId: active, userId: organizer.user.id, status: 'confirmed', tickets: 3 });

      const response = await list({ venue, ordering: 'created_at' }).expect(200);
      expect(response.body).toMatchObject({ count: 3, next: null, previous: null });
      expect(response.body.results.map((event: { id: string }) => event.id)).toEqual([active, inactive, finished]);
      const [row] = await dataSource.query(`SELECT name, time, created_at FROM events WHERE id = $1`, [active]);
      expect(response.body.results[0]).toEqual({
        id: active,
        name: row.name,
        venue,
        time: row.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        capacity: 50,
        available_tickets: 47,
        price_per_ticket: 12.5,
        organizer: organizer.user.username,
        is_active: true,
        created_at: row.created_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    });

    it('filters by status, is_active, venue (case-insensitive) and search (name or venue only)', async () => {
      const venue = marker();
      const upcoming = await createEvent(dataSource, { organizerId: organizer.user.id, venue, name: 'Jazz Night' });
      const finished = await createEvent(dataSource, {
        organizerId: organizer.user.id,
        venue,
        time: past(1),
        name: 'Old Rock',
        description: 'jazz in the description only',
      });
      const inactive = await createEvent(dataSource, { organizerId: organizer.user.id, venue, isActive: false });
      const ids = async (query: Record<string, string | boolean>) =>
        (await list({ ...query, ordering: 'created_at' }).expect(200)).body.results.map((e: { id: string }) => e.id);

      expect(await ids({ venue, status: 'upcoming' })).toEqual([upcoming, inactive]);
      expect(await ids({ venue, status: 'past' })).toEqual([finished]);
      expect(await ids({ venue, is_active: false })).toEqual([inactive]);
      expect(await ids({ venue, is_active: true })).toEqual([upcoming, finished]);
      expect(await ids({ venue: venue.toUpperCase() })).toEqual([upcoming, finished, inactive]);
      expect(await ids({ venue: venue.slice(0, -1) })).toEqual([]);
      expect(await ids({ venue, search: 'JAZZ' })).toEqual([upcoming]);
      expect(await ids({ search: venue.toUpperCase().slice(1) })).toEqual([upcoming, finished, inactive]);
    });

    it("folds case as Django's icontains does, upper-casing both sides (a Greek final sigma matches its capital)", async () => {
      const venue = `Οδός ${marker()}`;
      const greek = await createEvent(dataSource, { organizerId: organizer.user.id, venue, name: 'Κόσμος Live' });
      const ids = async (query: Record<string, string>) =>
        (await list(query).expect(200)).body.results.map((e: { id: string }) => e.id);

      expect(await ids({ venue, search: 'ΚΌΣΜΟΣ' })).toEqual([greek]);
      expect(await ids({ venue: venue.toUpperCase() })).toEqual([greek]);
      expect(await ids({ search: venue.toUpperCase() })).toEqual([greek]);
    });

    it.each([
      ['time', [1, 2, 3]],
      ['-time', [3, 2, 1]],
      ['capacity', [2, 3, 1]],
      ['-capacity', [1, 3, 2]],
      ['created_at', [1, 2, 3]],
      ['-created_at', [3, 2, 1]],
    ])('orders by %s', async (ordering, expected) => {
      const venue = marker();
      const ids = [
        await createEvent(dataSource, { organizerId: organizer.user.id, venue, time: future(1), capacity: 300 }),
        await createEvent(dataSource, { organizerId: organizer.user.id, venue, time: future(2), capacity: 100 }),
        await createEvent(dataSource, { organizerId: organizer.user.id, venue, time: future(3), capacity: 200 }),
      ];
      const response = await list({ venue, ordering }).expect(200);
      expect(response.body.results.map((e: { id: string }) => e.id)).toEqual(expected.map((n) => ids[n - 1]));
    });

    it('orders newest first by default and paginates with absolute links', async () => {
      const venue = marker();
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) ids.push(await createEvent(dataSource, { organizerId: organizer.user.id, venue }));
      const first = await list({ venue, page_size: 2 }).expect(200);
      expect(first.body.count).toBe(3);
      expect(first.body.results.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
      const next = new URL(first.body.next);
      expect(next.pathname).toBe('/api/admin/events/list/');
      expect(Object.fromEntries(next.searchParams)).toEqual({ venue, page_size: '2', page: '2' });
      const second = await http.get(`${next.pathname}${next.search}`).set(organizer.headers).expect(200);
      expect(second.body.results.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
      expect(second.body.next).toBeNull();
      expect(new URL(second.body.previous).searchParams.get('page')).toBeNull();
      await list({ venue, page_size: 2, page: 3 }).expect(404);
      const last = await list({ venue, page_size: 2, page: 'last' }).expect(200);
      expect({ ...last.body, previous: undefined }).toEqual({ ...second.body, previous: undefined });
      expect(new URL(last.body.previous).search).toBe(new URL(second.body.previous).search);
    });

    it('counts every match exactly, past the 1,000 the public list counts exactly', async () => {
      const name = marker();
      await seedEvents(dataSource, organizer.user.id, 1200, name);
      const first = await list({ search: name, page_size: 100 }).expect(200);
      expect(first.body.count).toBe(1200);
      const middle = await list({ search: name, page_size: 100, page: 6 }).expect(200);
      expect(middle.body.count).toBe(1200);
    });

    it.each([
      ['status', 'soon'],
      ['is_active', 'maybe'],
      ['ordering', 'name'],
      ['ordering', 'price_per_ticket'],
      ['ordering', 'time; DROP TABLE events'],
      ['page', '0'],
      ['page', 'two'],
      ['page_size', '-5'],
      ['search', 'a\u0000b'],
      ['venue', 'v'.repeat(256)],
    ])('refuses %s=%s with 400', async (name, value) => {
      const response = await list({ [name]: value });
      expect(response.status).toBe(400);
      expect(response.body.details).toHaveProperty(name);
    });
  });

  describe('GET /api/admin/events/{id}/details/', () => {
    it('answers the organizer object, bookings and utilisation with one decimal', async () => {
      const buyer = await loginAs(app, 'user');
      const eventId = await createEvent(dataSource, {
        organizerId: organizer.user.id,
        capacity: 3,
        price: '150.00',
        description: 'Annual technology conference',
      });
      await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'confirmed' });
      await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'cancelled' });
      await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'processing' });
      const [row] = await dataSource.query(`SELECT * FROM events WHERE id = $1`, [eventId]);
      const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

      const response = await http.get(`/api/admin/events/${eventId}/details/`).set(superuser.headers).expect(200);
      expect(response.body).toEqual({
        id: eventId,
        name: row.name,
        venue: 'Test Hall',
        time: iso(row.time),
        capacity: 3,
        description: 'Annual technology conference',
        price_per_ticket: 150,
        organizer: { id: organizer.user.id, username: organizer.user.username, email: organizer.user.email },
        is_active: true,
        available_tickets: 2,
        total_bookings: 1,
        utilization_percentage: 33.3,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
      });
    });

    it('answers 404 for unknown, malformed and deleted ids', async () => {
      const deleted = await createEvent(dataSource, { organizerId: organizer.user.id });
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "'%20OR%201=1%20--", deleted]) {
        const response = await http.get(`/api/admin/events/${id}/details/`).set(organizer.headers);
        expect(response.status).toBe(404);
        expect(response.body.error).toEqual(expect.any(String));
      }
    });
  });

  describe('PUT /api/admin/events/{id}/', () => {
    it('changes only the given fields and answers the details', async () => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 100, price: '10.00' });
      const [before] = await dataSource.query(`SELECT name, venue, time, description FROM events WHERE id = $1`, [
        eventId,
      ]);
      const response = await http
        .put(`/api/admin/events/${eventId}/`)
        .set(organizer.headers)
        .send({ name: 'Updated Tech Conference', capacity: 600, price_per_ticket: 175.0 })
        .expect(200);
      expect(response.body).toMatchObject({
        id: eventId,
        name: 'Updated Tech Conference',
        venue: before.venue,
        description: before.description,
        capacity: 600,
        available_tickets: 600,
        price_per_ticket: 175,
        is_active: true,
      });
      const [after] = await dataSource.query(`SELECT time, price_per_ticket FROM events WHERE id = $1`, [eventId]);
      expect(after).toEqual({ time: before.time, price_per_ticket: '175.00' });
    });

    it('clears the description with null, deactivates, moves the time, and accepts an empty body or none', async () => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
      await http
        .put(`/api/admin/events/${eventId}`)
        .set(superuser.headers)
        .send({ description: null, is_active: false, time: '2031-01-02T03:04:05.678+01:00' })
        .expect(200);
      const response = await http.put(`/api/admin/events/${eventId}/`).set(superuser.headers).send({}).expect(200);
      expect(response.body).toMatchObject({ description: null, is_active: false, time: '2031-01-02T02:04:05Z' });
      const bodiless = await http.put(`/api/admin/events/${eventId}/`).set(superuser.headers).expect(200);
      expect(bodiless.body).toEqual(response.body);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a null name', { name: null }, 'name'],
      ['a null capacity', { capacity: null }, 'capacity'],
      ['a null price', { price_per_ticket: null }, 'price_per_ticket'],
      ['a null is_active', { is_active: null }, 'is_active'],
      ['a null time', { time: null }, 'time'],
      ['an empty venue', { venue: '' }, 'venue'],
      ['capacity 0', { capacity: 0 }, 'capacity'],
      ['a time without zone', { time: '2031-01-01T10:00' }, 'time'],
      ['a past time', { time: '2001-01-01T00:00:00Z' }, 'time'],
      ['a NUL byte', { description: '\u0000' }, 'description'],
    ])('refuses %s with 400 and changes nothing', async (_case, body, field) => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
      const [before] = await dataSource.query(`SELECT * FROM events WHERE id = $1`, [eventId]);
      const response = await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send(body);
      expect(response.status).toBe(400);
      expect(response.body.details).toHaveProperty(field);
      const [after] = await dataSource.query(`SELECT * FROM events WHERE id = $1`, [eventId]);
      expect(after).toEqual(before);
    });

    it('refuses lowering the capacity below the confirmed tickets with 409, and allows lowering it to them', async () => {
      const buyer = await loginAs(app, 'user');
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 10 });
      await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'confirmed', count: 2, tickets: 3 });
      await seedBookings(dataSource, { eventId, userId: buyer.user.id, status: 'processing', tickets: 4 });

      const refused = await http
        .put(`/api/admin/events/${eventId}/`)
        .set(organizer.headers)
        .send({ capacity: 5, name: 'Not applied' })
        .expect(409);
      expect(refused.body).toEqual({ error: expect.any(String), details: { booked_tickets: 6 } });
      expect(await inventoryOf(dataSource, eventId)).toMatchObject({ capacity: 10, booked_tickets: 6 });
      const [row] = await dataSource.query(`SELECT name FROM events WHERE id = $1`, [eventId]);
      expect(row.name).not.toBe('Not applied');

      const lowered = await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ capacity: 6 });
      expect(lowered.status).toBe(200);
      expect(lowered.body).toMatchObject({ capacity: 6, available_tickets: 0, utilization_percentage: 100 });
    });

    it('answers 404 for unknown, malformed and deleted events', async () => {
      const deleted = await createEvent(dataSource, { organizerId: organizer.user.id });
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope', deleted]) {
        await http.put(`/api/admin/events/${id}/`).set(superuser.headers).send({ name: 'x' }).expect(404);
      }
    });

    it('tells who may not change an event, or that it is gone, before judging a time in the past', async () => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
      const otherStaff = await loginAs(app, 'staff');
      const past = { time: new Date(Date.now() - 86_400_000).toISOString() };
      await http.put(`/api/admin/events/${eventId}/`).set(otherStaff.headers).send(past).expect(403);
      const unknown = '00000000-0000-4000-8000-000000000000';
      await http.put(`/api/admin/events/${unknown}/`).set(superuser.headers).send(past).expect(404);
      await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send(past).expect(400);
    });

    it('tells who may not change an event, or that it is gone, before judging any field of the body', async () => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
      const otherStaff = await loginAs(app, 'staff');
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const invalid of [{ capacity: 0 }, { name: '' }, { price_per_ticket: 'free' }]) {
        await http.put(`/api/admin/events/${eventId}/`).set(otherStaff.headers).send(invalid).expect(403);
        await http.put(`/api/admin/events/${unknown}/`).set(superuser.headers).send(invalid).expect(404);
        await http.put('/api/admin/events/nope/').set(superuser.headers).send(invalid).expect(404);
        await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send(invalid).expect(400);
      }
    });

    it("takes an event's own time sent back after it started, as a client that PUTs the whole object does", async () => {
      const started = past(1);
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, time: started });
      const shown = (await http.get(`/api/admin/events/${eventId}/details/`).set(organizer.headers).expect(200)).body;
      const response = await http
        .put(`/api/admin/events/${eventId}/`)
        .set(organizer.headers)
        .send({ name: shown.name, time: shown.time, is_active: false })
        .expect(200);
      expect(response.body).toMatchObject({ time: shown.time, is_active: false });
      const [stored] = await dataSource.query(`SELECT time FROM events WHERE id = $1`, [eventId]);
      expect(stored.time.getTime()).toBe(started.getTime());
      const moved = new Date(started.getTime() - 60_000).toISOString();
      await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ time: moved }).expect(400);
    });
  });

  describe('DELETE /api/admin/events/{id}/delete/', () => {
    it('soft-deletes: gone everywhere, live bookings cancelled, seats returned, holders emailed once each', async () => {
      const [alice, bob, carol, dave] = await Promise.all([1, 2, 3, 4].map(() => loginAs(app, 'user')));
      const name = marker();
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 20, name });
      await seedBookings(dataSource, { eventId, userId: alice.user.id, status: 'confirmed', count: 2, tickets: 2 });
      await seedBookings(dataSource, { eventId, userId: bob.user.id, status: 'confirmed', tickets: 3 });
      const [pending] = await seedBookings(dataSource, { eventId, userId: carol.user.id, status: 'pending' });
      const [failed] = await seedBookings(dataSource, { eventId, userId: dave.user.id, status: 'failed' });
      const [processing] = await seedBookings(dataSource, { eventId, userId: dave.user.id, status: 'processing' });

      const response = await http.delete(`/api/admin/events/${eventId}/delete/`).set(organizer.headers).expect(200);
      expect(response.body).toEqual({ event_id: eventId, status: 'deleted' });

      const [event] = await dataSource.query(`SELECT deleted_at, booked_tickets FROM events WHERE id = $1`, [eventId]);
      expect(event.deleted_at).toBeInstanceOf(Date);
      expect(event.booked_tickets).toBe(0);
      const bookings: { id: string; status: string; cancelled_at: Date | null }[] = await dataSource.query(
        `SELECT id, status, cancelled_at FROM bookings WHERE event_id = $1`,
        [eventId],
      );
      expect(bookings).toHaveLength(6);
      for (const booking of bookings) {
        if (booking.id === failed) expect(booking).toMatchObject({ status: 'failed', cancelled_at: null });
        else expect(booking).toMatchObject({ status: 'cancelled', cancelled_at: expect.any(Date) });
      }
      expect(bookings.find((booking) => booking.id === pending)?.status).toBe('cancelled');
      expect(bookings.find((booking) => booking.id === processing)?.status).toBe('cancelled');

      const mails: { job_id: string; payload: unknown }[] = await dataSource.query(
        `SELECT job_id, payload FROM outbox WHERE job_name = 'event-cancelled' AND payload->>'eventId' = $1
          ORDER BY job_id`,
        [eventId],
      );
      expect(mails).toEqual(
        [alice, bob, carol, dave]
          .map(({ user }) => ({
            job_id: jobIds.eventCancelled(eventId, user.id),
            payload: { eventId, userId: user.id },
          }))
          .sort((a, b) => a.job_id.localeCompare(b.job_id)),
      );

      await http.get(`/api/admin/events/${eventId}/details/`).set(organizer.headers).expect(404);
      await http.get(`/api/user/events/${eventId}/`).expect(404);
      await http.get(`/api/events/${eventId}/availability/`).expect(404);
      await http.put(`/api/admin/events/${eventId}/`).set(organizer.headers).send({ name: 'x' }).expect(404);
      await http.delete(`/api/admin/events/${eventId}/delete/`).set(organizer.headers).expect(404);
      const adminList = await http.get('/api/admin/events/list/').query({ search: name }).set(organizer.headers);
      expect(adminList.body).toMatchObject({ count: 0, results: [] });
      await http
        .post('/api/bookings/')
        .set(alice.headers)
        .send({ event_id: eventId, number_of_tickets: 1 })
        .expect((res) => expect([400, 404, 409]).toContain(res.status));
    });

    it('removes an event that has already taken place from view, without cancelling its bookings or mailing', async () => {
      const holder = await loginAs(app, 'user');
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id, capacity: 20, time: past(1) });
      const [attended] = await seedBookings(dataSource, { eventId, userId: holder.user.id, status: 'confirmed' });

      await http.delete(`/api/admin/events/${eventId}/delete/`).set(organizer.headers).expect(200);

      await http.get(`/api/admin/events/${eventId}/details/`).set(organizer.headers).expect(404);
      const [booking] = await dataSource.query(`SELECT status FROM bookings WHERE id = $1`, [attended]);
      expect(booking.status).toBe('confirmed');
      const [event] = await dataSource.query(`SELECT booked_tickets FROM events WHERE id = $1`, [eventId]);
      expect(event.booked_tickets).toBe(1);
      const mails = await dataSource.query(
        `SELECT 1 FROM outbox WHERE job_name = 'event-cancelled' AND payload->>'eventId' = $1`,
        [eventId],
      );
      expect(mails).toEqual([]);

      const [late] = await seedBookings(dataSource, { eventId, userId: holder.user.id, status: 'pending' });
      expect(await app.get(BookingAllocator).settleEvents([eventId])).toEqual({
        confirmed: 0,
        failed: 1,
        cancelled: 0,
      });
      const [settled] = await dataSource.query(`SELECT status, failure_reason FROM bookings WHERE id = $1`, [late]);
      expect(settled).toEqual({ status: 'failed', failure_reason: 'event has already started' });
    });

    it('lets a superuser delete any event and answers 404 for unknown ids', async () => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
      await http.delete(`/api/admin/events/${eventId}/delete`).set(superuser.headers).expect(200);
      await http
        .delete(`/api/admin/events/${uniqueName('x')}/delete/`)
        .set(superuser.headers)
        .expect(404);
      await http
        .delete('/api/admin/events/00000000-0000-4000-8000-000000000000/delete/')
        .set(superuser.headers)
        .expect(404);
    });
  });

  /**
   * An event `time` is read as the original's DRF DateTimeField read it (Django's parse_datetime), less a time without
   * zone, and the instant it names is the one stored: what the api answers is what the database holds.
   */
  describe('event time: the forms Django parse_datetime reads', () => {
    const storedTime = async (eventId: string): Promise<string> => {
      const [row] = await dataSource.query(`SELECT time FROM events WHERE id = $1`, [eventId]);
      return (row.time as Date).toISOString();
    };

    it.each([
      ['2030-06-15T09:00:00.123456789Z', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.123Z'],
      ['2030-06-15T09:00:00.1234567Z', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.123Z'],
      ['2030-06-15 09:00:00+00:00', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.000Z'],
      ['2030-06-15T09:00:00+05', '2030-06-15T04:00:00Z', '2030-06-15T04:00:00.000Z'],
      ['2030-06-15T09:00:00,5Z', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.500Z'],
    ])('creates an event at %s, answering %s', async (time, answered, stored) => {
      const response = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send({ name: 'Time formats', venue: 'Hall', time, capacity: 5, price_per_ticket: 1 })
        .expect(201);
      expect(response.body.time).toBe(answered);
      expect(await storedTime(response.body.event_id)).toBe(stored);
    });

    it('moves an event to a time with an offset of whole hours', async () => {
      const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
      const response = await http
        .put(`/api/admin/events/${eventId}/`)
        .set(organizer.headers)
        .send({ time: '2031-01-02 03:04:05,678-01' })
        .expect(200);
      expect(response.body.time).toBe('2031-01-02T04:04:05Z');
      expect(await storedTime(eventId)).toBe('2031-01-02T04:04:05.678Z');
    });

    it.each(['2030-06-15T09:00:00', '2030-06-15 09:00:00', '2030-02-30T09:00:00Z'])(
      'refuses %s with 400 on time',
      async (time) => {
        const response = await http
          .post('/api/admin/events/')
          .set(organizer.headers)
          .send({ name: 'Time formats', venue: 'Hall', time, capacity: 5, price_per_ticket: 1 })
          .expect(400);
        expect(Object.keys(response.body.details)).toEqual(['time']);
      },
    );
  });
});
