import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createEvent, EventOverrides, loginAs, TestSession } from '@evently/testing';

import { marker, seedBookings, seedEvents } from '../support/event-fixtures';
import { createTestApp, dataSourceOf } from '../support/test-app';

const DAY_MS = 24 * 3600 * 1000;
const future = (days: number) => new Date(Date.now() + days * DAY_MS);
const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
type Query = Record<string, string | number | boolean>;

describe('public events: browse, details, availability', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let organizer: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    organizer = await loginAs(app, 'staff');
  });
  afterAll(() => app.close());

  const event = (overrides: Partial<EventOverrides> = {}) =>
    createEvent(dataSource, { organizerId: organizer.user.id, ...overrides });
  const browse = (query: Query) => http.get('/api/user/events/').query(query);
  const ids = async (query: Query) => {
    const response = await browse(query);
    expect(response.status).toBe(200);
    return response.body.results.map((result: { id: string }) => result.id);
  };

  describe('GET /api/user/events/', () => {
    it('answers anonymous callers with the spec fields', async () => {
      const name = marker();
      const eventId = await event({ name, venue: 'Convention Center', capacity: 500, price: '150.00' });
      await seedBookings(dataSource, {
        eventId,
        userId: organizer.user.id,
        status: 'confirmed',
        count: 10,
        tickets: 5,
      });
      const [row] = await dataSource.query(`SELECT time FROM events WHERE id = $1`, [eventId]);

      const response = await browse({ search: name }).expect(200);
      expect(response.body).toEqual({
        count: 1,
        next: null,
        previous: null,
        results: [
          {
            id: eventId,
            name,
            venue: 'Convention Center',
            time: iso(row.time),
            capacity: 500,
            available_tickets: 450,
            price_per_ticket: 150,
            description: 'A test event',
            organizer: organizer.user.username,
          },
        ],
      });
    });

    it('never shows inactive or deleted events, and shows past ones only with upcoming_only=false', async () => {
      const name = marker();
      const upcoming = await event({ name, time: future(2) });
      const finished = await event({ name, time: future(-2) });
      await event({ name, isActive: false });
      const deleted = await event({ name });
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);

      expect(await ids({ search: name })).toEqual([upcoming]);
      expect(await ids({ search: name, upcoming_only: true })).toEqual([upcoming]);
      expect(await ids({ search: name, upcoming_only: false })).toEqual([finished, upcoming]);
      expect(await ids({ search: name, upcoming_only: 0 })).toEqual([finished, upcoming]);
    });

    it('searches name, venue and description case-insensitively, each term in one field', async () => {
      const word = marker();
      const inName = await event({ name: `The ${word.toUpperCase()} Show`, time: future(1) });
      const inVenue = await event({ venue: `${word} Arena`, time: future(2) });
      const inDescription = await event({ description: `Bring your ${word}!`, time: future(3) });
      const spanning = await event({ name: `${word} left`, venue: 'right side', time: future(4) });

      expect(await ids({ search: word })).toEqual([inName, inVenue, inDescription, spanning]);
      expect(await ids({ search: word.toUpperCase() })).toEqual([inName, inVenue, inDescription, spanning]);
      expect(await ids({ search: `${word} left` })).toEqual([spanning]);
      expect(await ids({ search: `your ${word}` })).toEqual([inDescription]);
      // DRF's SearchFilter: every term in some field, different terms in different fields; one term never spans two.
      expect(await ids({ search: `${word} left right` })).toEqual([spanning]);
      expect(await ids({ search: `${word} "left right"` })).toEqual([]);
    });

    it("folds case as Django's icontains does, upper-casing both sides, in search and the venue filter", async () => {
      const word = marker();
      // Lower-cased, the capital Σ is σ where the word's last letter is ς: only upper case makes them equal.
      const greek = await event({ name: `Κόσμος ${word}`, venue: `Οδός ${word}`, time: future(1) });

      expect(await ids({ search: `ΚΌΣΜΟΣ ${word}` })).toEqual([greek]);
      expect(await ids({ search: `ΟΔΌΣ ${word}` })).toEqual([greek]);
      expect(await ids({ search: word, venue: `ΟΔΌΣ ${word.toUpperCase()}` })).toEqual([greek]);
    });

    it('splits search into terms as DRF does: on spaces and commas, keeping a quoted phrase whole', async () => {
      const word = marker();
      const venue = `${word} Hall`;
      const jazzNight = await event({ name: `${word} jazz night`, venue: 'Blue Note', time: future(1) });
      const nightOfJazz = await event({ name: `${word} night of jazz`, venue: 'Red Hall', time: future(2) });
      const rock = await event({
        name: `${word} rock`,
        venue: 'Jazz Cellar',
        description: 'Late night',
        time: future(3),
      });
      const other = await event({ name: `${word} folk`, venue, time: future(4) });

      expect(await ids({ search: `night ${word} jazz` })).toEqual([jazzNight, nightOfJazz, rock]);
      expect(await ids({ search: `JAZZ late ${word}` })).toEqual([rock]);
      expect(await ids({ search: `${word} rock ` })).toEqual([rock]);
      expect(await ids({ search: `  ${word}\tfolk\n` })).toEqual([other]);
      expect(await ids({ search: `${word},blue` })).toEqual([jazzNight]);
      expect(await ids({ search: `,${word},, note,` })).toEqual([jazzNight]);
      expect(await ids({ search: `${word} "night of"` })).toEqual([nightOfJazz]);
      expect(await ids({ search: `${word} ,"jazz night",` })).toEqual([jazzNight]);
      // As in DRF, where a quote does not open its token the quotes are part of the term.
      expect(await ids({ search: `"jazz night",${word}` })).toEqual([]);
      expect(await ids({ search: `'${word} rock'` })).toEqual([rock]);
      expect(await ids({ search: `"${word} rock jazz"` })).toEqual([]);
      expect(await ids({ search: `${word} "of jazz` })).toEqual([]); // an unclosed quote is part of its term
      for (const blank of [' ', ',', ' , ,, ', '""', "''"]) {
        expect(await ids({ venue, search: blank })).toEqual([other]);
      }
    });

    it('takes every one of many search terms, and never fails on as many as search holds', async () => {
      const word = marker();
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
      const eventId = await event({ name: `${word} ${alphabet}`, time: future(1) });
      const terms = [word, ...alphabet];
      expect(await ids({ search: terms.join(' ') })).toEqual([eventId]);
      expect(await ids({ search: [...terms].reverse().join(',') })).toEqual([eventId]);
      expect(await ids({ search: [...terms, '\u00e9'].join(' ') })).toEqual([]);
      const distinct = Array.from({ length: 127 }, (_, n) => String.fromCodePoint(0x4e00 + n));
      expect(await ids({ search: [word, ...distinct].join(' ').slice(0, 255) })).toEqual([]);
      const filters = {
        upcoming_only: false,
        min_price: 0,
        max_price: 100,
        venue: 'test hall',
        date_from: '2000-01-01',
      };
      expect(await ids({ ...filters, search: terms.join(' ') })).toEqual([eventId]);
    });

    it('finds an event by its new name, venue and description once its organizer edits them', async () => {
      const [before, after] = [marker(), marker()];
      const eventId = await event({ name: `${before} night`, venue: `${before} hall`, time: future(5) });
      await http
        .put(`/api/admin/events/${eventId}/`)
        .set(organizer.headers)
        .send({ name: `${after} night`, venue: 'Main hall', description: `With ${after} guests` })
        .expect(200);

      expect(await ids({ search: before })).toEqual([]);
      expect(await ids({ search: `${after} night` })).toEqual([eventId]);
      expect(await ids({ search: `${after} guests` })).toEqual([eventId]);
      expect(await ids({ search: 'main hall' })).toContain(eventId);
    });

    it('matches % and _ literally and treats hostile text as text', async () => {
      const word = marker();
      const percent = await event({ name: `${word} 100% fun`, time: future(1) });
      const plain = await event({ name: `${word} 100 fun`, time: future(2) });
      const underscore = await event({ name: `${word} a_b`, time: future(3) });
      const letter = await event({ name: `${word} axb`, time: future(4) });
      const quoted = await event({ name: `${word} ' OR 1=1 --`, time: future(5) });

      expect(await ids({ search: `${word} 100%` })).toEqual([percent]);
      expect(await ids({ search: `${word} a_b` })).toEqual([underscore]);
      expect(await ids({ search: `${word} a%b` })).toEqual([]);
      expect(await ids({ search: `${word} ' OR 1=1 --` })).toEqual([quoted]);
      expect(await ids({ search: `' OR 1=1 --${word}` })).toEqual([]);
      expect(await ids({ search: '\\' + word })).toEqual([]);
      expect(await ids({ search: word })).toEqual([percent, plain, underscore, letter, quoted]);
    });

    it('filters by day in UTC with both ends inclusive', async () => {
      const name = marker();
      const at = (text: string) => event({ name, time: new Date(text) });
      const before = await at('2031-03-09T23:59:59Z');
      const start = await at('2031-03-10T00:00:00Z');
      const end = await at('2031-03-10T23:59:59.999Z');
      const after = await at('2031-03-11T00:00:00Z');

      expect(await ids({ search: name, date_from: '2031-03-10', date_to: '2031-03-10' })).toEqual([start, end]);
      expect(await ids({ search: name, date_from: '2031-03-10' })).toEqual([start, end, after]);
      expect(await ids({ search: name, date_to: '2031-03-10' })).toEqual([before, start, end]);
      expect(await ids({ search: name, date_from: '2031-03-11', date_to: '2031-03-10' })).toEqual([]);
    });

    it('filters by venue (whole name, case-insensitive), price range (inclusive) and availability', async () => {
      const name = marker();
      const venue = `${name} Hall`;
      const cheap = await event({ name, venue, price: '10.00', capacity: 2, time: future(1) });
      const middle = await event({ name, venue: venue.toUpperCase(), price: '25.50', time: future(2) });
      const dear = await event({ name, venue: 'Elsewhere', price: '99.99', time: future(3) });
      await seedBookings(dataSource, { eventId: cheap, userId: organizer.user.id, status: 'confirmed', tickets: 2 });

      expect(await ids({ search: name, venue: venue.toLowerCase() })).toEqual([cheap, middle]);
      expect(await ids({ search: name, venue: name })).toEqual([]);
      expect(await ids({ search: name, min_price: 25.5 })).toEqual([middle, dear]);
      expect(await ids({ search: name, max_price: '25.50' })).toEqual([cheap, middle]);
      expect(await ids({ search: name, min_price: 10.01, max_price: 99.98 })).toEqual([middle]);
      expect(await ids({ search: name, min_price: 0, max_price: 1_000_000_000 })).toEqual([cheap, middle, dear]);
      expect(await ids({ search: name, available_only: true })).toEqual([middle, dear]);
      expect(await ids({ search: name, available_only: false })).toEqual([cheap, middle, dear]);
    });

    it('compares prices exactly as decimals, and never answers one price from the cache entry of another', async () => {
      const name = marker();
      const eventId = await event({ name, price: '25.50', time: future(1) });

      // Asked twice each: the list cache stores a filtered answer from its second request on.
      for (let round = 0; round < 2; round++) {
        expect(await ids({ search: name, max_price: '25.5' })).toEqual([eventId]);
        expect(await ids({ search: name, max_price: '025.500' })).toEqual([eventId]);
        expect(await ids({ search: name, max_price: '25.499999999999999999' })).toEqual([]);
        expect(await ids({ search: name, min_price: '25.5' })).toEqual([eventId]);
        expect(await ids({ search: name, min_price: '25.500000000000000001' })).toEqual([]);
        expect(await ids({ search: name, min_price: '25.49', max_price: ' 25.51 ' })).toEqual([eventId]);
        expect(await ids({ search: name, min_price: '-0.00', max_price: `1${'0'.repeat(300)}` })).toEqual([eventId]);
      }
    });

    it.each([
      [
        'min_price',
        'abc',
        ['min_price must not be less than 0', 'min_price must be a number conforming to the specified constraints'],
      ],
      ['min_price', '-1', ['min_price must not be less than 0']],
      ['min_price', '-0.01', ['min_price must not be less than 0']],
      [
        'max_price',
        '1e3',
        ['max_price must not be less than 0', 'max_price must be a number conforming to the specified constraints'],
      ],
      [
        'max_price',
        '.5',
        ['max_price must not be less than 0', 'max_price must be a number conforming to the specified constraints'],
      ],
      ['max_price', '9'.repeat(400), ['max_price must be a number conforming to the specified constraints']],
    ])('refuses %s=%s with the messages it always gave', async (field, value, messages) => {
      const response = await browse({ [field]: value }).expect(400);
      expect(response.body.details).toEqual({ [field]: messages });
    });

    it.each([
      [undefined, [1, 2, 3]],
      ['time', [1, 2, 3]],
      ['-time', [3, 2, 1]],
      ['price_per_ticket', [2, 3, 1]],
      ['-price_per_ticket', [1, 3, 2]],
      ['created_at', [1, 2, 3]],
      ['-created_at', [3, 2, 1]],
    ])('orders by %s', async (ordering, expected) => {
      const name = marker();
      const created = [
        await event({ name, time: future(1), price: '30.00' }),
        await event({ name, time: future(2), price: '10.00' }),
        await event({ name, time: future(3), price: '20.00' }),
      ];
      const query: Query = ordering ? { search: name, ordering } : { search: name };
      expect(await ids(query)).toEqual(expected.map((n) => created[n - 1]));
    });

    it('orders by a comma-separated list of fields, each in turn, as DRF does', async () => {
      const name = marker();
      const early = await event({ name, time: future(1), price: '10.00' });
      const late = await event({ name, time: future(2), price: '10.00' });
      const cheap = await event({ name, time: future(3), price: '5.00' });

      expect(await ids({ search: name, ordering: 'price_per_ticket,-time' })).toEqual([cheap, late, early]);
      expect(await ids({ search: name, ordering: 'price_per_ticket,time' })).toEqual([cheap, early, late]);
      expect(await ids({ search: name, ordering: '-price_per_ticket,-created_at' })).toEqual([late, early, cheap]);
      // Spaces around a field and empty items are ignored, and a field named again adds nothing, as in DRF.
      expect(await ids({ search: name, ordering: ' price_per_ticket , -time ,' })).toEqual([cheap, late, early]);
      expect(await ids({ search: name, ordering: '-time,time,price_per_ticket' })).toEqual([cheap, late, early]);
      expect(await ids({ search: name, ordering: ',' })).toEqual([early, late, cheap]);
      for (const unknown of ['price_per_ticket,name', 'time,capacity', 'time,--time', 'time;-time']) {
        const response = await browse({ search: name, ordering: unknown }).expect(400);
        expect(Object.keys(response.body.details)).toEqual(['ordering']);
      }
    });

    it('orders the admin list by a comma-separated list of its fields too', async () => {
      const name = marker();
      const small = await event({ name, time: future(1), capacity: 5 });
      const bigEarly = await event({ name, time: future(2), capacity: 50 });
      const bigLate = await event({ name, time: future(3), capacity: 50 });
      const list = (ordering: string) =>
        http.get('/api/admin/events/list/').query({ search: name, ordering }).set(organizer.headers);

      const response = await list('-capacity,-time').expect(200);
      expect(response.body.results.map((e: { id: string }) => e.id)).toEqual([bigLate, bigEarly, small]);
      await list('capacity,price_per_ticket').expect(400);
    });

    it('paginates with absolute next/previous links that keep the filters, and clamps page_size to 100', async () => {
      const name = marker();
      const created = await seedEvents(dataSource, organizer.user.id, 105, name);

      const first = await browse({ search: name, page_size: 1000 }).expect(200);
      expect(first.body.count).toBe(105);
      expect(first.body.results).toHaveLength(100);
      expect(first.body.previous).toBeNull();
      const next = new URL(first.body.next);
      expect(next.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(next.pathname).toBe('/api/user/events/');
      expect(Object.fromEntries(next.searchParams)).toEqual({ search: name, page_size: '1000', page: '2' });

      const second = await http.get(`${next.pathname}${next.search}`).expect(200);
      expect(second.body.results.map((e: { id: string }) => e.id)).toEqual(created.slice(100));
      expect(second.body.next).toBeNull();
      expect(Object.fromEntries(new URL(second.body.previous).searchParams)).toEqual({
        search: name,
        page_size: '1000',
      });

      const small = await browse({ search: name, page_size: 10, page: 3 }).expect(200);
      expect(small.body.results.map((e: { id: string }) => e.id)).toEqual(created.slice(20, 30));
      expect(new URL(small.body.next).searchParams.get('page')).toBe('4');
      expect(new URL(small.body.previous).searchParams.get('page')).toBe('2');

      const defaults = await browse({ search: name }).expect(200);
      expect(defaults.body.results).toHaveLength(10);

      const beyond = await browse({ search: name, page: 12 }).expect(404); // DRF's answer past the last page
      expect(beyond.body).toEqual({ error: 'Invalid page.', details: null });
      for (const page of [999, 1_000_001, '100000000000000000000']) {
        const far = await browse({ search: name, page }).expect(404);
        expect(far.body).toEqual({ error: 'Invalid page.', details: null });
      }
      for (const size of ['99999999999999999999', '9'.repeat(400), '100.0', '00000000000000000000101']) {
        const clamped = await browse({ search: name, page_size: size }).expect(200);
        expect(clamped.body.results.map((e: { id: string }) => e.id)).toEqual(created.slice(0, 100));
        expect(Object.fromEntries(new URL(clamped.body.next).searchParams)).toEqual({
          search: name,
          page_size: size,
          page: '2',
        });
      }
      const none = await browse({ search: marker() }).expect(200);
      expect(none.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    });

    it("answers page=last with the last page, as DRF's paginator does, page 1 when nothing matches", async () => {
      const name = marker();
      const created = await seedEvents(dataSource, organizer.user.id, 25, name);

      const last = await browse({ search: name, page: 'last' }).expect(200);
      expect(last.body.count).toBe(25);
      expect(last.body.results.map((e: { id: string }) => e.id)).toEqual(created.slice(20));
      expect(last.body.next).toBeNull();
      expect(Object.fromEntries(new URL(last.body.previous).searchParams)).toEqual({ search: name, page: '2' });
      const none = await browse({ search: marker(), page: 'last' }).expect(200);
      expect(none.body).toEqual({ count: 0, next: null, previous: null, results: [] });
      await browse({ search: name, page: 'LAST' }).expect(400);
    });

    it('counts exactly up to 1,000 matches and estimates beyond, until the last page makes the count exact', async () => {
      // The estimate's query text is built with the filter's values quoted in: make them hostile.
      const name = `${marker()} O'Brien \\ 100% $1 %s`;
      const created = await seedEvents(dataSource, organizer.user.id, 1200, name);
      const filters = {
        search: name,
        venue: 'bulk hall',
        max_price: '5.00',
        date_from: future(0).toISOString().slice(0, 10),
        date_to: future(60).toISOString().slice(0, 10),
      };

      const first = await browse({ ...filters, page_size: 100 }).expect(200);
      expect(first.body.count).toBeGreaterThan(1000);
      expect(first.body.results).toHaveLength(100);
      expect(first.body.next).not.toBeNull();

      const last = await browse({ ...filters, page_size: 100, page: 12 }).expect(200);
      expect(last.body).toMatchObject({ count: 1200, next: null });
      expect(last.body.results).toHaveLength(100);
      // DRF's `page=last`, found from the exact count though page 1's was an estimate.
      const lastByName = await browse({ ...filters, page_size: 100, page: 'last' }).expect(200);
      expect({ ...lastByName.body, previous: undefined }).toEqual({ ...last.body, previous: undefined });
      expect(new URL(lastByName.body.previous).search).toBe(new URL(last.body.previous).search);

      // A full page past the 1,000th row, where its ids are found before its rows, in either direction.
      const deep = await browse({ ...filters, page_size: 100, page: 11 }).expect(200);
      expect(deep.body.results.map((e: { id: string }) => e.id)).toEqual(created.slice(1000, 1100));
      expect(deep.body.next).not.toBeNull();
      expect(deep.body.count).toBeGreaterThan(1100);
      const backwards = await browse({ ...filters, page_size: 100, page: 11, ordering: '-time' }).expect(200);
      expect(backwards.body.results.map((e: { id: string }) => e.id)).toEqual(created.slice(100, 200).reverse());

      const few = await browse({ search: `"${name} 11"` }).expect(200);
      expect(few.body.count).toBe(111); // "… 11", "… 110"–"… 119", "… 1100"–"… 1199": exact below the cap
    });

    it('counts exactly 1,000 matches as 1,000: an estimate starts past them', async () => {
      const name = marker();
      await seedEvents(dataSource, organizer.user.id, 1000, name);
      const page = await browse({ search: name }).expect(200);
      expect(page.body.count).toBe(1000);
    });

    it('answers 404 for the page just past the last when the count fills its pages exactly', async () => {
      const name = marker();
      await seedEvents(dataSource, organizer.user.id, 20, name);
      await browse({ search: name, page_size: 10, page: 2 }).expect(200);
      const past = await browse({ search: name, page_size: 10, page: 3 }).expect(404);
      expect(past.body).toEqual({ error: 'Invalid page.', details: null });
    });

    it('never answers a list from the cached entry of the same list without one of its filters', async () => {
      const name = marker();
      const first = await event({ name, time: new Date('2031-03-10T12:00:00Z'), capacity: 2 });
      const soldOut = await event({ name, time: new Date('2031-03-10T13:00:00Z'), capacity: 2 });
      const later = await event({ name, time: new Date('2031-03-12T12:00:00Z'), capacity: 2 });
      await seedBookings(dataSource, { eventId: soldOut, userId: organizer.user.id, status: 'confirmed', tickets: 2 });
      const from = { search: name, date_from: '2031-03-10' };
      // Asked twice, so that the list is cached (one-off searches are not).
      for (let i = 0; i < 2; i++) expect(await ids(from)).toEqual([first, soldOut, later]);
      expect(await ids({ ...from, date_to: '2031-03-10' })).toEqual([first, soldOut]);
      expect(await ids({ ...from, available_only: true })).toEqual([first, later]);
      expect(await ids({ ...from, upcoming_only: false })).toEqual([first, soldOut, later]);
    });

    it.each([
      ['date_from', '2031-13-01'],
      ['date_from', '2031-02-30'],
      ['date_from', 'yesterday'],
      ['date_to', '2031-03-10T00:00:00Z'],
      ['min_price', 'abc'],
      ['min_price', '-1'],
      ['max_price', '1e3'],
      ['available_only', 'maybe'],
      ['upcoming_only', 'yes'],
      ['ordering', 'name'],
      ['ordering', 'capacity'],
      ['ordering', "time' OR 1=1 --"],
      ['page', '0'],
      ['page', '1.5'],
      ['page_size', 'ten'],
      ['page_size', '0'],
      ['page_size', '-5'],
      ['page_size', '-99999999999999999999'],
      ['page_size', '10.5'],
      ['page_size', '99999999999999999999.5'],
      ['page_size', '1e3'],
      ['max_price', '9'.repeat(400)],
      ['ordering', 'time,name'],
      ['search', 'x\u0000y'],
      ['search', 's'.repeat(256)],
      ['venue', '\u0000'],
    ])('refuses %s=%s with 400 and the field named', async (field, value) => {
      const response = await browse({ [field]: value });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: expect.any(String),
        details: expect.objectContaining({ [field]: expect.any(Array) }),
      });
    });

    it('reads a parameter sent empty, as a form sends an unfilled field, as not given', async () => {
      const name = marker();
      const eventId = await event({ name, time: future(2) });
      const empty = 'date_from=&date_to=&venue=&min_price=&max_price=&available_only=&upcoming_only=&ordering=&page=';
      const response = await http.get(`/api/user/events/?search=${name}&${empty}&page_size=`).expect(200);
      expect(response.body).toMatchObject({ count: 1, next: null, previous: null });
      expect(response.body.results.map((e: { id: string }) => e.id)).toEqual([eventId]);
      const everything = await http.get('/api/user/events/?search=&page_size=').expect(200);
      expect(everything.body.results).toHaveLength(10);
    });

    it('reads a repeated parameter by its last value, as Django did, and an empty last value as not given', async () => {
      const name = marker();
      const [soon, later] = [await event({ name, time: future(2) }), await event({ name, time: future(3) })];
      const ids = (body: { results: { id: string }[] }) => body.results.map((e) => e.id);

      const latestFirst = await http.get(`/api/user/events/?ordering=time&ordering=-time&search=x&search=${name}`);
      expect(latestFirst.status).toBe(200);
      expect(ids(latestFirst.body)).toEqual([later, soon]);
      const secondPage = await http.get(`/api/user/events/?search=${name}&page_size=1&page=9&page=2`).expect(200);
      expect(ids(secondPage.body)).toEqual([later]);
      expect(secondPage.body.previous).toMatch(/\?search=[^&]+&page_size=1$/);
      const emptyLast = await http.get(`/api/user/events/?search=${name}&ordering=-time&ordering=`).expect(200);
      expect(ids(emptyLast.body)).toEqual([soon, later]);
    });

    it('still checks a token that is sent (401), and answers without the trailing slash', async () => {
      await http.get('/api/user/events/').set('Authorization', 'Token not-a-real-token').expect(401);
      await http.get('/api/user/events').expect(200);
      const user = await loginAs(app, 'user');
      await http.get('/api/user/events').set(user.headers).expect(200);
    });
  });

  describe('GET /api/user/events/{id}/', () => {
    it('answers the public fields of an active event, past ones included', async () => {
      const eventId = await event({ time: future(-1), capacity: 7, price: '0.50', description: null });
      await dataSource.query(`UPDATE events SET description = NULL WHERE id = $1`, [eventId]);
      await seedBookings(dataSource, { eventId, userId: organizer.user.id, status: 'confirmed', tickets: 2 });
      await seedBookings(dataSource, { eventId, userId: organizer.user.id, status: 'processing', tickets: 3 });
      const [row] = await dataSource.query(`SELECT name, time FROM events WHERE id = $1`, [eventId]);

      const response = await http.get(`/api/user/events/${eventId}/`).expect(200);
      expect(response.body).toEqual({
        id: eventId,
        name: row.name,
        venue: 'Test Hall',
        time: iso(row.time),
        capacity: 7,
        available_tickets: 5,
        price_per_ticket: 0.5,
        description: null,
        organizer: organizer.user.username,
      });
      await http.get(`/api/user/events/${eventId.toUpperCase()}`).expect(200);
    });

    it('answers 404 for inactive, deleted, unknown and malformed ids', async () => {
      const inactive = await event({ isActive: false });
      const deleted = await event();
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
      for (const id of [inactive, deleted, '00000000-0000-4000-8000-000000000000', 'abc', "'%20OR%201=1--", '%25']) {
        const response = await http.get(`/api/user/events/${id}/`);
        expect(response.status).toBe(404);
        expect(response.body.error).toEqual(expect.any(String));
      }
    });
  });

  describe('GET /api/events/{id}/availability/', () => {
    it('answers capacity minus confirmed tickets', async () => {
      const eventId = await event({ capacity: 12 });
      await seedBookings(dataSource, { eventId, userId: organizer.user.id, status: 'confirmed', count: 2, tickets: 3 });
      await seedBookings(dataSource, { eventId, userId: organizer.user.id, status: 'pending', tickets: 4 });
      await seedBookings(dataSource, { eventId, userId: organizer.user.id, status: 'cancelled', tickets: 4 });
      const response = await http.get(`/api/events/${eventId}/availability/`).expect(200);
      expect(response.body).toEqual({ event_id: eventId, available_tickets: 6 });
      const upper = await http.get(`/api/events/${eventId.toUpperCase()}/availability`).expect(200);
      expect(upper.body).toEqual({ event_id: eventId, available_tickets: 6 });
    });

    it('answers 404 for inactive, deleted, unknown and malformed ids', async () => {
      const inactive = await event({ isActive: false });
      const deleted = await event();
      await dataSource.query(`UPDATE events SET deleted_at = now() WHERE id = $1`, [deleted]);
      for (const id of [inactive, deleted, '00000000-0000-4000-8000-000000000000', 'nope', '1%20OR%201=1']) {
        await http.get(`/api/events/${id}/availability/`).expect(404);
      }
    });
  });
});
