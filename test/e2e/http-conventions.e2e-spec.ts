import { randomUUID } from 'node:crypto';
import { AddressInfo, connect } from 'node:net';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';

import { createEvent, loginAs, TEST_PASSWORD, uniqueName } from '@evently/testing';
import { TokensService } from '@evently/users';

import { MAX_FORM_FIELDS, MAX_JSON_VALUES } from '../../apps/api/src/common/body-limits';

import { insertBookings } from '../support/booking-rows';
import { expectErrorShape } from '../support/error-shape';
import { ApiOperation, apiOperations, urlOf } from '../support/openapi-operations';
import { createTestApp, dataSourceOf } from '../support/test-app';

describe('HTTP conventions', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
  });
  afterAll(() => app.close());

  it('answers unknown routes with 404 in the error shape', async () => {
    const response = await http.get('/api/no-such-thing/').expect(404);
    expect(response.body).toEqual({ error: 'Not found.', details: null });
  });

  it('answers a method a path does not take with 405 naming the ones it does (Allow), as DRF does', async () => {
    const session = await loginAs(app, 'staff');
    const eventId = await createEvent(dataSourceOf(app), { organizerId: session.user.id });
    const patch = await http.patch(`/api/admin/events/${eventId}/`).set(session.headers).send({ name: 'x' });
    expect({ status: patch.status, allow: patch.headers.allow, body: patch.body }).toEqual({
      status: 405,
      allow: 'PUT',
      body: { error: 'Method "PATCH" not allowed.', details: null },
    });
    const get = await http.get('/api/user/auth/login');
    expect({ status: get.status, allow: get.headers.allow }).toEqual({ status: 405, allow: 'POST' });
    const post = await http.post(`/api/user/events/${eventId}/`).send({});
    expect({ status: post.status, allow: post.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
    expectErrorShape(post.body);
  });

  it.each([
    ['a malformed id', 'post', '/api/user/events/not-an-id/'],
    ['a user id where an event id goes', 'post', '/api/user/events/1/'],
    [
      'an event id where a user id goes',
      'post',
      `/api/users/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/bookings/`,
    ],
    ['a file missing under the Swagger UI', 'get', '/api/docs/no-such-file.js'],
    ['a path that cannot be decoded', 'options', '/api/bookings/%E0%A4%A/'],
    ['an unknown path with a body of another type', 'post', '/api/no-such-thing/'],
  ] as const)('still answers 404 where the path names nothing that could exist (%s)', async (_case, method, path) => {
    const response = await http[method](path).set('content-type', 'text/plain').send('hi');
    expect(response.status).toBe(404);
  });

  const AUTHENTICATED_ID_PATHS = [
    ['get', '/api/bookings/{uuid}/'],
    ['delete', '/api/bookings/{uuid}/'],
    ['get', '/api/users/{int}/bookings/'],
    ['get', '/api/admin/events/{uuid}/details/'],
    ['put', '/api/admin/events/{uuid}/'],
    ['delete', '/api/admin/events/{uuid}/delete/'],
    ['post', '/api/admin/events/{uuid}/notify/'],
    ['get', '/api/admin/analytics/{uuid}/'],
  ] as const;
  const withIds = (path: string, uuid: string, int: string) => path.replace('{uuid}', uuid).replace('{int}', int);

  it.each(AUTHENTICATED_ID_PATHS)(
    'answers %s %s with an id that could not exist 404 before asking for credentials, as Django’s URL patterns do',
    async (method, path) => {
      const malformed = await http[method](withIds(path, 'not-a-uuid', 'abc')).send({});
      expect({ status: malformed.status, body: malformed.body }).toEqual({
        status: 404,
        body: { error: 'Not found.', details: null },
      });
      const possible = await http[method](withIds(path, randomUUID(), '7')).send({});
      expect(possible.status).toBe(401);
    },
  );

  it('reads a user id in a path as digits only, as Django’s <int:> does (0x2 is no user 2)', async () => {
    const staff = await loginAs(app, 'staff');
    const own = staff.user.id;
    await http.get(`/api/users/${own}/bookings/`).set(staff.headers).expect(200);
    for (const id of [`0x${own.toString(16)}`, `${own}e0`, `+${own}`, `${own}.0`, `%20${own}`]) {
      const response = await http.get(`/api/users/${id}/bookings/`).set(staff.headers);
      expect({ id, status: response.status }).toEqual({ id, status: 404 });
    }
  });

  it('answers a path that is another route’s, not an id, with that route’s 405 (PUT on the admin list)', async () => {
    for (const role of ['staff', 'user'] as const) {
      const session = await loginAs(app, role);
      const put = await http.put('/api/admin/events/list/').set(session.headers).send({});
      expect({ role, status: put.status, allow: put.headers.allow }).toEqual({ role, status: 405, allow: 'GET, HEAD' });
    }
  });

  it.each([['{"username": '], [' \r\n\t']])('rejects malformed JSON (%j) with 400 in the error shape', async (body) => {
    const response = await http.post('/api/user/auth/login/').set('content-type', 'application/json').send(body);
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: { error: 'Malformed JSON in request body.', details: null },
    });
  });

  it.each([['[]'], ['"text"'], ['null'], ['42']])(
    'rejects a JSON body that is not an object (%s) with 400',
    async (body) => {
      const response = await http
        .post('/api/user/auth/login/')
        .set('content-type', 'application/json')
        .send(body)
        .expect(400);
      expectErrorShape(response.body);
    },
  );

  it('rejects an array of objects as a body, even one whose item would be a valid body', async () => {
    const response = await http
      .post('/api/user/auth/login/')
      .set('content-type', 'application/json')
      .send(JSON.stringify([{ username: 'nobody', password: 'wrong-password' }]));
    expect([response.status, response.body]).toEqual([
      400,
      { error: 'Request body must be a JSON object.', details: null },
    ]);
  });

  it('rejects bodies over 1 MB with 413 in the error shape', async () => {
    const response = await http
      .post('/api/user/auth/register/')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ username: 'x', address: 'a'.repeat(1024 * 1024) }))
      .expect(413);
    expectErrorShape(response.body);
    expect(response.body.details).toBe('The limit is 1 MB.');
  });

  describe('a JSON body is text in the charset its type names, UTF-8 unless it names one', () => {
    const registration = (firstName: string) =>
      `{"username":"${uniqueName('charset')}","email":"charset@example.com","password":"${TEST_PASSWORD}",` +
      `"first_name":"${firstName}"}`;
    // The bytes as they are: superagent would send a Buffer as its JSON.
    const register = (body: Buffer, contentType: string) =>
      http
        .post('/api/user/auth/register/')
        .set('content-type', contentType)
        .serialize((bytes: Buffer) => bytes as unknown as string)
        .send(body);
    const registered = async (username: string) => {
      const [{ count }] = await dataSourceOf(app).query('SELECT count(*)::int FROM users WHERE username = $1', [
        username,
      ]);
      return count;
    };

    it('refuses bytes that are not UTF-8 with 400, and registers nobody (not U+FFFD in their place)', async () => {
      const body = Buffer.from(registration('caf\u00e9'), 'latin1');
      const username = JSON.parse(body.toString('latin1')).username as string;
      const response = await register(body, 'application/json');
      expect({ status: response.status, body: response.body }).toEqual({
        status: 400,
        body: { error: 'Request body is not valid Unicode.', details: 'It is not well-formed utf-8.' },
      });
      expect(await registered(username)).toBe(0);
    });

    it('reads the charset the type names, as DRF does', async () => {
      const body = Buffer.from(registration('caf\u00e9'), 'latin1');
      const username = JSON.parse(body.toString('latin1')).username as string;
      const response = await register(body, 'application/json; charset=iso-8859-1');
      expect(response.status).toBe(201);
      const [{ first_name }] = await dataSourceOf(app).query('SELECT first_name FROM users WHERE username = $1', [
        username,
      ]);
      expect(first_name).toBe('café');
    });

    it('refuses an unpaired surrogate escaped in a string or a key with 400, and registers nobody', async () => {
      for (const body of [registration('caf\\ud800'), `{"\\udc00":1,${registration('caf\u00e9').slice(1)}`]) {
        const username = JSON.parse(body).username as string;
        const response = await register(Buffer.from(body), 'application/json');
        expect({ status: response.status, body: response.body }).toEqual({
          status: 400,
          body: { error: 'Request body is not valid Unicode.', details: 'It holds an unpaired surrogate.' },
        });
        expect(await registered(username)).toBe(0);
      }
    });

    it('reads a quoted charset, and reads one it does not know as UTF-8, as Django ignores it', async () => {
      const body = () => Buffer.from(registration('caf\u00e9'), 'latin1');
      const quoted = await register(body(), 'application/json; charset="iso-8859-1"');
      expect(quoted.status).toBe(201);
      const unknown = await register(Buffer.from(registration('café')), 'application/json; charset=no-such-charset');
      expect(unknown.status).toBe(201);
      const notUtf8 = await register(body(), 'application/json; charset=no-such-charset');
      expect(notUtf8.status).toBe(400);
    });
  });

  it('rejects a body of a type DRF does not parse (text/plain) with 415 naming the types it takes', async () => {
    const response = await http.post('/api/user/auth/login/').set('content-type', 'text/plain').send('hi');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      error: 'Unsupported media type; send application/json, application/x-www-form-urlencoded or multipart/form-data.',
      details: null,
    });
  });

  it('reads a multipart/form-data body as DRF does, and refuses a file in it', async () => {
    const username = `multipart_${Date.now()}`;
    const response = await http
      .post('/api/user/auth/register/')
      .field('username', username)
      .field('email', 'multipart@example.com')
      .field('password', 'a-long-enough-passphrase');
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ username, email: 'multipart@example.com' });

    const withFile = await http
      .post('/api/user/auth/login/')
      .field('username', username)
      .attach('password', Buffer.from('a-long-enough-passphrase'), 'password.txt');
    expect({ status: withFile.status, body: withFile.body }).toEqual({
      status: 400,
      body: { error: 'File uploads are not accepted.', details: null },
    });
  });

  it('reads a field sent twice in a form body by its last value, as DRF does, and refuses a prototype key', async () => {
    const username = `twice_${Date.now()}`;
    const password = 'a-long-enough-passphrase';
    const urlencoded = await http
      .post('/api/user/auth/register/')
      .type('form')
      .send(`username=first&username=${username}&email=twice@example.com&password=${password}`);
    expect([urlencoded.status, urlencoded.body.username]).toEqual([201, username]);
    const multipart = await http
      .post('/api/user/auth/login/')
      .field('username', 'nobody')
      .field('username', username)
      .field('password', password);
    expect(multipart.status).toBe(200);

    const poisoned = await http.post('/api/user/auth/login/').type('form').send(`__proto__=x&username=${username}`);
    expect({ status: poisoned.status, body: poisoned.body }).toEqual({
      status: 400,
      body: { error: 'Field name not allowed.', details: '__proto__' },
    });
  });

  it('refuses a malformed multipart body, one over 1 MB and a form of too many fields (multipart or urlencoded), in the error shape', async () => {
    const noBoundary = await http
      .post('/api/user/auth/login/')
      .set('content-type', 'multipart/form-data')
      .send('--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nme\r\n--x--');
    expect({ status: noBoundary.status, error: noBoundary.body.error }).toEqual({
      status: 400,
      error: 'Malformed multipart body.',
    });
    for (const part of ['name="username"', 'name="f"; filename="a.txt"']) {
      // Cut short inside a field, and inside a file (whose unread stream once took the process down).
      const cutShort = await http
        .post('/api/user/auth/login/')
        .set('content-type', 'multipart/form-data; boundary=x')
        .send(`--x\r\nContent-Disposition: form-data; ${part}\r\n\r\nabc`);
      expect({ status: cutShort.status, error: cutShort.body.error }).toEqual({
        status: 400,
        error: 'Malformed multipart body.',
      });
    }
    const tooLarge = await http
      .post('/api/user/auth/register/')
      .field('username', 'someone')
      .field('address', 'a'.repeat(1024 * 1024));
    expect({ status: tooLarge.status, body: tooLarge.body }).toEqual({
      status: 413,
      body: { error: 'Request body is too large.', details: 'The limit is 1 MB.' },
    });
    const withFields = (count: number) => {
      let form = http.post('/api/user/auth/login/').field('username', 'nobody').field('password', 'wrong-password');
      for (let field = 2; field < count; field++) form = form.field(`f${field}`, 'x');
      return form;
    };
    const tooMany = await withFields(MAX_FORM_FIELDS + 1);
    expect({ status: tooMany.status, body: tooMany.body }).toEqual({
      status: 413,
      body: { error: 'Too many fields.', details: `The limit is ${MAX_FORM_FIELDS}.` },
    });
    const atTheLimit = await withFields(MAX_FORM_FIELDS);
    expect({ status: atTheLimit.status, body: atTheLimit.body }).toEqual({
      status: 400,
      body: { error: 'Unable to log in with provided credentials.', details: null },
    });
    const urlencoded = (count: number) =>
      http
        .post('/api/user/auth/login/')
        .type('form')
        .send(
          ['username=nobody', 'password=wrong-password', ...Array.from({ length: count - 2 }, () => 'f=x')].join('&'),
        );
    const tooManyEncoded = await urlencoded(MAX_FORM_FIELDS + 1);
    expect({ status: tooManyEncoded.status, body: tooManyEncoded.body }).toEqual({
      status: 413,
      body: { error: 'Too many fields.', details: `The limit is ${MAX_FORM_FIELDS}.` },
    });
    expect((await urlencoded(MAX_FORM_FIELDS)).body).toEqual({
      error: 'Unable to log in with provided credentials.',
      details: null,
    });
  });

  it('reads every multipart part without a file name as text, whatever type it names', async () => {
    for (const contentType of ['application/json', 'application/octet-stream']) {
      const response = await http
        .post('/api/user/auth/login/')
        .field('username', '{"deep": [[[[[[[[1]]]]]]]]}', { contentType })
        .field('password', 'whatever-it-is');
      expect({ status: response.status, error: response.body.error }).toEqual({
        status: 400,
        error: 'Unable to log in with provided credentials.',
      });
    }
  });

  it('refuses a multipart part whose charset decodes to half a surrogate pair', async () => {
    const response = await http
      .post('/api/user/auth/register/')
      .field('username', 'surrogate_user')
      .field('password', 'a-long-enough-passphrase')
      .field('email', Buffer.from('\ud800@a.co', 'utf16le') as unknown as string, {
        contentType: 'text/plain; charset=utf-16le',
      });
    expect({ status: response.status, error: response.body.error }).toEqual({
      status: 400,
      error: 'Request body is not valid Unicode.',
    });
  });

  it.each([['text/plain'], ['multipart/form-data; boundary=x']])(
    'takes a bodiless request that names a body type anyway (%s: fetch sends text/plain for an empty string)',
    async (contentType) => {
      const session = await loginAs(app);
      await http
        .post('/api/user/auth/logout/')
        .set(session.headers)
        .set('content-type', contentType)
        .send('')
        .expect(200);
    },
  );

  it('answers a request with no body as DRF does an empty one: each required field is named', async () => {
    const response = await http.post('/api/user/auth/login/').expect(400);
    expect(response.body).toEqual({
      error: 'Validation failed.',
      details: { username: ['This field is required.'], password: ['This field is required.'] },
    });
  });

  it('names a required field that was not sent as DRF does, alone, and a field sent wrong by the rules it broke', async () => {
    const response = await http
      .post('/api/user/auth/register/')
      .send({ username: 'x'.repeat(151) })
      .expect(400);
    expect(response.body.details).toEqual({
      username: [expect.stringContaining('150')],
      email: ['This field is required.'],
      password: ['This field is required.'],
    });
  });

  it('routes every documented operation with and without the trailing slash, for every method, without redirects', async () => {
    const { user: organizer } = await loginAs(app, 'staff');
    const { user: caller } = await loginAs(app, 'staff');
    const eventId = await createEvent(dataSourceOf(app), { organizerId: organizer.id });
    const [bookingId] = await insertBookings(dataSourceOf(app), [
      { eventId, userId: organizer.id, status: 'cancelled' },
    ]);
    // Staff who does not organise the event: its update and delete are refused (403) and cancelling the cancelled
    // booking is a 409, so both requests of a pair meet the same state. Every id exists: a 404 means "not routed".
    const paramsOf = (path: string) => ({
      id: path.startsWith('/api/bookings/') ? bookingId : eventId,
      event_id: eventId,
      user_id: String(caller.id),
    });
    const statusOf = async (method: ApiOperation['method'], url: string) => {
      // A fresh token per request: logout revokes the one it is sent with.
      const token = await app.get(TokensService).issue(caller.id);
      return (await http[method](url).set('Authorization', `Token ${token}`)).status;
    };

    const answers = [];
    for (const operation of await apiOperations(http)) {
      const withSlash = urlOf(operation, paramsOf(operation.path));
      answers.push({
        operation: operation.key,
        withSlash: await statusOf(operation.method, withSlash),
        without: await statusOf(operation.method, withSlash.slice(0, -1)),
      });
    }
    expect(answers).not.toHaveLength(0);
    const unrouted = (status: number) => status === 404 || status === 405 || (status >= 300 && status < 400);
    const misrouted = answers.filter(
      ({ withSlash, without }) => withSlash !== without || unrouted(withSlash) || unrouted(without),
    );
    expect(misrouted).toEqual([]);
  });

  it('sends security headers, no X-Powered-By, and echoes or creates X-Request-Id', async () => {
    const given = await http.get('/api/health/').set('X-Request-Id', 'trace-123');
    expect(given.headers['x-request-id']).toBe('trace-123');
    const generated = await http.get('/api/health/');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers['x-powered-by']).toBeUndefined();
    expect(generated.headers['x-content-type-options']).toBe('nosniff');
    expect(generated.headers['x-frame-options']).toBeDefined();
    expect(generated.headers['content-security-policy']).toBeDefined();
    expect(generated.headers['strict-transport-security']).toBeDefined();
    expect(generated.headers['referrer-policy']).toBe('no-referrer');
    // Deprecated or for HTML documents only, and paid for by every response (api-app.ts).
    for (const dropped of [
      'x-xss-protection',
      'x-download-options',
      'x-dns-prefetch-control',
      'origin-agent-cluster',
    ]) {
      expect(generated.headers[dropped]).toBeUndefined();
    }
    const hostile = await http.get('/api/health/').set('X-Request-Id', 'bad id\twith spaces');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['a malformed percent-escape', '/api/bookings/%E0%A4%A/'],
    ['a 300-character id', `/api/bookings/${'a'.repeat(300)}/`],
  ])('sends them on a URL the router refuses before any hook runs too (%s)', async (_case, path) => {
    const response = await http.get(path).expect(404);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBeDefined();
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps CORS closed by default', async () => {
    const response = await http.get('/api/health/').set('Origin', 'https://evil.example');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a Host outside ALLOWED_HOSTS', async () => {
    const response = await http.get('/api/health/').set('Host', 'attacker.example').expect(400);
    expectErrorShape(response.body);
  });

  describe('input rules', () => {
    const nested = (depth: number): string => {
      let json = '1';
      for (let level = 0; level < depth; level++) json = `{"a":${json}}`;
      return json;
    };
    const login = (extra: string) =>
      http
        .post('/api/user/auth/login/')
        .set('content-type', 'application/json')
        .send(`{"username":"nobody","password":"wrong-password","extra":${extra}}`);

    it('refuses bodies nested deeper than 32 levels with 400 before validation', async () => {
      for (const depth of [33, 10_000]) {
        const response = await login(nested(depth));
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          error: 'Request body is nested too deeply.',
          details: 'The limit is 32 levels.',
        });
      }
      const arrays = await login('['.repeat(5_000) + ']'.repeat(5_000));
      expect(arrays.status).toBe(400);
      expect(arrays.body.error).toBe('Request body is nested too deeply.');
      // A quote escaped in a string does not end it: the nesting after it is still counted.
      const afterEscapedQuote = await login(`["\\"", ${'['.repeat(5_000)}${']'.repeat(5_000)}]`);
      expect(afterEscapedQuote.body.error).toBe('Request body is nested too deeply.');
      const shallow = await login(nested(30));
      expect(shallow.body).toEqual({ error: 'Unable to log in with provided credentials.', details: null });
    });

    it('counts nesting, not brackets: exactly 32 levels, and objects side by side, are taken', async () => {
      // The body's own braces are its first level.
      const atTheLimit = await login(nested(31));
      expect(atTheLimit.body).toEqual({ error: 'Unable to log in with provided credentials.', details: null });
      const siblings = await login(`[${Array(100).fill('{"a":[1]}').join(',')}]`);
      expect(siblings.body).toEqual({ error: 'Unable to log in with provided credentials.', details: null });
    });

    it(`refuses a body of more than ${MAX_JSON_VALUES} object members and array items in all with 413`, async () => {
      // Three members of the body's own, and `extra`'s: class-transformer's copy costs the square of an object's keys.
      const keys = (count: number) => `{${Array.from({ length: count }, (_, key) => `"k${key}":0`).join(',')}}`;
      const tooMany = await login(keys(MAX_JSON_VALUES - 2));
      expect({ status: tooMany.status, body: tooMany.body }).toEqual({
        status: 413,
        body: {
          error: 'Too many fields.',
          details: `The limit is ${MAX_JSON_VALUES} object members and array items in all.`,
        },
      });
      const items = (count: number) => `[${Array(count).fill(0).join(',')}]`;
      expect((await login(items(MAX_JSON_VALUES - 2))).status).toBe(413);
      const refused = { error: 'Unable to log in with provided credentials.', details: null };
      expect((await login(keys(MAX_JSON_VALUES - 3))).body).toEqual(refused);
      expect((await login(items(MAX_JSON_VALUES - 3))).body).toEqual(refused);
      // What is inside strings is no value, however many commas, brackets and escaped quotes: one member.
      expect((await login(JSON.stringify(`[{,\\"}],${','.repeat(2 * MAX_JSON_VALUES)}`))).body).toEqual(refused);
      // Malformed is a 400 before it is too many.
      const malformed = await login(`[${','.repeat(2 * MAX_JSON_VALUES)}]`);
      expect({ status: malformed.status, error: malformed.body.error }).toEqual({
        status: 400,
        error: 'Malformed JSON in request body.',
      });
    });

    it.each([['localhost:abc'], ['localhost:99999'], ['local host'], ['localhost:'], ['[::1'], ['localhost:80:80']])(
      'refuses a malformed Host (%s) with 400 in the error shape, also on lists',
      async (host) => {
        const response = await http.get('/api/user/events/?page=1').set('Host', host);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ error: 'Invalid host header.', details: expect.any(String) });
      },
    );

    it('builds list links from a well-formed Host with a port', async () => {
      const { user } = await loginAs(app, 'staff');
      for (const _ of [1, 2]) await createEvent(dataSourceOf(app), { organizerId: user.id });
      const response = await http.get('/api/user/events/?page=2&page_size=1').set('Host', 'localhost:8000').expect(200);
      expect(response.body.previous).toBe('http://localhost:8000/api/user/events/?page_size=1');
    });

    it('treats an empty JSON body as no body on POST logout and DELETE', async () => {
      const session = await loginAs(app, 'staff');
      const eventId = await createEvent(dataSourceOf(app), { organizerId: session.user.id });
      await http
        .delete(`/api/admin/events/${eventId}/delete/`)
        .set(session.headers)
        .set('content-type', 'application/json')
        .send('')
        .expect(200);
      await http
        .post('/api/user/auth/logout/')
        .set(session.headers)
        .set('content-type', 'application/json')
        .send('')
        .expect(200);
    });

    it('checks a query against its own list’s rules, even one another list took (ordering=capacity)', async () => {
      const staff = await loginAs(app, 'staff');
      await http.get('/api/admin/events/list/?ordering=capacity').set(staff.headers).expect(200);
      const response = await http.get('/api/user/events/?ordering=capacity');
      expect({ status: response.status, details: response.body.details }).toEqual({
        status: 400,
        details: { ordering: [expect.stringContaining('price_per_ticket')] },
      });
    });

    it('reads query booleans as true/false/1/0 in any case (empty: not given), and refuses others with 400', async () => {
      const staff = await loginAs(app, 'staff');
      for (const value of ['True', 'FALSE', 'true', '0', '1', '']) {
        await http.get(`/api/admin/events/list/?is_active=${value}`).set(staff.headers).expect(200);
        await http.get(`/api/user/events/?upcoming_only=${value}&available_only=${value}`).expect(200);
      }
      for (const value of ['yes', 'truee', '2']) {
        const response = await http.get(`/api/admin/events/list/?is_active=${value}`).set(staff.headers).expect(400);
        expect(response.body.details).toEqual({ is_active: expect.any(Array) });
      }
    });

    it.each([
      ['a badly percent-encoded id', '/api/bookings/%E0%A4%A/'],
      ['a stray percent', '/api/user/events/%/'],
      ['an encoded NUL', '/api/events/%00/availability/'],
      ['a 300-character id', `/api/bookings/${'a'.repeat(300)}/`],
      ['a 5,000-character id', `/api/user/events/${'9'.repeat(5_000)}/`],
      ['a user id beyond int32', '/api/users/99999999999999999999/bookings/'],
    ])('answers a path id that cannot exist (%s) with 404 in the error shape', async (_case, path) => {
      const session = await loginAs(app, 'staff');
      const { status, body } = await http.get(path).set(session.headers);
      expect({ status, body }).toEqual({ status: 404, body: { error: 'Not found.', details: null } });
    });
  });
});

describe('requests Node’s HTTP parser refuses, before any route', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  /** Sends bytes as they are on a new connection and reads the answer until the server closes it. */
  const sendRaw = (bytes: string) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, body] = answer.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
      });
    });

  it.each([
    ['a header with a control character', 'GET /api/health/ HTTP/1.1\r\nHost: localhost\r\nX-A: a\u0001b\r\n\r\n'],
    [
      'a malformed chunk size',
      'POST /api/user/auth/login/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ],
    [
      'two Content-Length headers',
      'POST /api/user/auth/login/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
  ])('answers %s with 400 in the error shape', async (_case, bytes) => {
    expect(await sendRaw(bytes)).toEqual({ status: 400, body: { error: 'Malformed HTTP request.', details: null } });
  });

  it('answers a chunk whose extensions run past 16 KB with 413 in the error shape, as a body too large', async () => {
    const answer = await sendRaw(
      'POST /api/user/auth/login/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Transfer-Encoding: chunked\r\n\r\n2;x=${'a'.repeat(17_000)}\r\n{}\r\n0\r\n\r\n`,
    );
    expect(answer).toEqual({ status: 413, body: { error: 'Request body is too large.', details: null } });
  });

  it('answers a request line and headers over 16 KB with 431 in the error shape, naming the limit', async () => {
    const answer = await sendRaw(
      `GET /api/user/events/?search=${'a'.repeat(17_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    expect(answer).toEqual({
      status: 431,
      body: { error: 'Request line and headers are too large.', details: 'The limit is 16 KB.' },
    });
  });
});

describe('CORS when configured', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    process.env.CORS_ALLOWED_ORIGINS = 'https://app.example';
    app = await createTestApp();
  });
  afterAll(async () => {
    delete process.env.CORS_ALLOWED_ORIGINS;
    await app.close();
  });

  it('allows the configured origin only', async () => {
    const http = request(app.getHttpServer());
    const allowed = await http.get('/api/health/').set('Origin', 'https://app.example');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await http.get('/api/health/').set('Origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("lets a browser's script read the headers the API documents and a client acts on", async () => {
    const http = request(app.getHttpServer());
    const answer = await http.get('/api/user/auth/me/').set('Origin', 'https://app.example').expect(401);
    const exposed = String(answer.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining(['retry-after', 'idempotent-replayed', 'x-request-id', 'allow', 'www-authenticate']),
    );
  });

  it('answers a preflight 204 with the CORS headers, and an OPTIONS that is no preflight 204 too, never a text/plain 400', async () => {
    const http = request(app.getHttpServer());
    const preflight = await http
      .options('/api/bookings/')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    for (const headers of [{}, { Origin: 'https://app.example' }]) {
      const plain = await http.options('/api/bookings/').set(headers);
      expect({ headers, status: plain.status, text: plain.text }).toEqual({ headers, status: 204, text: '' });
    }
  });
});
