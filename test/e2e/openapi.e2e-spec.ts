import { request } from 'node:http';

import Ajv from 'ajv';
import { Client } from 'pg';

import { BOOKING_STATUSES } from '@evently/database';
import { TEST_PASSWORD, uniqueName } from '@evently/testing';

import { marker } from '../support/event-fixtures';
import { documentOperations, OpenApiDocument, OpenApiSchema } from '../support/openapi-operations';
import { RunningProcess, startApiProcess } from '../support/processes';

/** Money and percentages: the only numbers of the api that are not integers. */
const FRACTIONAL = [
  'cancellation_rate',
  'max_price',
  'min_price',
  'price_per_ticket',
  'total_amount',
  'utilization_percentage',
];
const INSTANTS = ['booking_date', 'confirmed_at', 'created_at', 'time', 'updated_at'];
const INT32 = { type: 'integer', format: 'int32' };

/** @Public() routes: no token needed, but one that is sent is checked. */
const PUBLIC = [
  'POST /api/user/auth/register',
  'POST /api/user/auth/login',
  'GET /api/user/events',
  'GET /api/user/events/{id}',
  'GET /api/events/{id}/availability',
  'GET /api/health',
];
const STAFF_ONLY = [
  'POST /api/admin/events',
  'GET /api/admin/events/list',
  'GET /api/admin/events/{id}/details',
  'PUT /api/admin/events/{id}',
  'DELETE /api/admin/events/{id}/delete',
  'POST /api/admin/events/{id}/notify',
  'GET /api/admin/analytics',
  'GET /api/admin/analytics/{event_id}',
  'POST /api/admin/users/bulk_delete',
  'GET /api/metrics',
];
const LISTS = ['GET /api/user/events', 'GET /api/admin/events/list', 'GET /api/users/{user_id}/bookings'];
/** JSON first: Swagger UI starts from the first type. */
const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];
const UUID_PARAMS = ['id', 'event_id'];
const JSON_BODY = { 'content-type': 'application/json' };

/** Every property and parameter of the document, by name, nested ones included. */
function namedSchemas(document: OpenApiDocument): { name: string; schema: OpenApiSchema }[] {
  const properties = (schema: OpenApiSchema): { name: string; schema: OpenApiSchema }[] => [
    ...Object.entries(schema.properties ?? {}).flatMap(([name, property]) => [
      { name, schema: property },
      ...properties(property),
    ]),
    ...(schema.items ? properties(schema.items) : []),
  ];
  const parameters = documentOperations(document).flatMap(({ operation }) =>
    (operation.parameters ?? []).map(({ name, schema }) => ({ name, schema })),
  );
  return [...Object.values(document.components.schemas).flatMap(properties), ...parameters];
}

/** The OpenAPI document of the compiled api, where the Swagger CLI plugin has run, as users get it. */
describe('OpenAPI document (compiled api)', () => {
  let api: RunningProcess & { url: string };
  let document: OpenApiDocument;
  let operations: ReturnType<typeof documentOperations>;
  const operation = (key: string) => operations.find((candidate) => candidate.key === key)!.operation;

  beforeAll(async () => {
    api = await startApiProcess();
    document = (await (await fetch(`${api.url}/api/docs-json`)).json()) as OpenApiDocument;
    operations = documentOperations(document);
  });
  afterAll(() => api.stop());

  it('is served with Swagger UI', async () => {
    expect((await fetch(`${api.url}/api/docs`)).status).toBe(200);
    expect(document.components.securitySchemes.token).toMatchObject({ type: 'apiKey', name: 'Authorization' });
  });

  it('documents every operation with a tag, a success schema and its error responses', () => {
    expect(operations.length).toBeGreaterThanOrEqual(6);
    for (const { key: name, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      const success = statuses.find((status) => status.startsWith('2'));
      expect({ name, tagged: (operation.tags ?? []).length > 0 }).toEqual({ name, tagged: true });
      expect({ name, success }).toEqual({ name, success: expect.any(String) });
      // JSON everywhere, except the Prometheus text of GET /api/metrics.
      const type = name === 'GET /api/metrics' ? 'text/plain' : 'application/json';
      const schema = operation.responses[success!].content?.[type]?.schema;
      expect({ name, schema: Boolean(schema) }).toEqual({
        name,
        schema: true,
      });
      expect({ name, errors: statuses.some((status) => /^[45]/.test(status)) }).toEqual({ name, errors: true });
    }
  });

  it('describes request bodies, e.g. booking creation', () => {
    const create = document.paths['/api/bookings'].post;
    expect(create.requestBody).toBeDefined();
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '409']));
    expect(Object.keys(document.components.schemas.CreateBookingDto.properties!)).toEqual(
      expect.arrayContaining(['user_id', 'event_id', 'number_of_tickets']),
    );
  });

  it('names the booking status one enum, so that a generated client has one type for it', () => {
    const { schemas } = document.components;
    expect(schemas.BookingStatus).toMatchObject({ type: 'string', enum: [...BOOKING_STATUSES] });
    for (const dto of ['BookingDto', 'BookingHistoryItemDto']) {
      expect({ dto, status: schemas[dto].properties!.status }).toEqual({
        dto,
        status: { allOf: [{ $ref: '#/components/schemas/BookingStatus' }] },
      });
    }
  });

  it('types ids and counts as integers, leaving `number` to money and percentages', () => {
    const numbers = namedSchemas(document).filter(({ schema }) => schema.type === 'number');
    expect([...new Set(numbers.map(({ name }) => name))].sort()).toEqual(FRACTIONAL);

    const booking = document.components.schemas.CreateBookingDto.properties!;
    expect(booking.user_id).toMatchObject(INT32);
    expect(booking.number_of_tickets).toMatchObject(INT32);
    expect(document.components.schemas.CreateEventDto.properties!.capacity).toMatchObject(INT32);
    expect(document.components.schemas.ProfileDto.properties!.id).toMatchObject(INT32);
    expect(document.components.schemas.BookingDto.properties!.ticket_count).toMatchObject(INT32);
    const history = operation('GET /api/users/{user_id}/bookings').parameters!;
    const typeOf = (schema: OpenApiSchema) => schema.type ?? schema.oneOf?.map((one) => one.type);
    expect(Object.fromEntries(history.map(({ name, schema }) => [name, typeOf(schema)]))).toEqual({
      user_id: 'integer',
      page: ['integer', 'string'], // a number, or DRF's `last`
      page_size: 'integer',
    });
    expect(history.find(({ name }) => name === 'user_id')!.schema).toMatchObject(INT32);
    const page = history.find(({ name }) => name === 'page')!.schema;
    const pageValid = new Ajv({ keywords: ['example', 'components'], formats: { int32: true } }).compile({
      ...page,
      components: document.components,
    });
    expect([3, 'last', 0, 'LAST', 2.5].map((value) => pageValid(value))).toEqual([true, true, false, false, false]);
  });

  it('lets ErrorBody.details be null, a string or an object, as real errors send them', async () => {
    const validate = new Ajv({ keywords: ['example'] }).compile(document.components.schemas.ErrorBody);
    const answers = await Promise.all([
      fetch(`${api.url}/api/user/events/00000000-0000-4000-8000-000000000000/`),
      fetch(`${api.url}/api/user/auth/register/`, { method: 'POST', headers: JSON_BODY, body: '{}' }),
      // Nested deeper than the body parser allows: a public 400 whose `details` is a string.
      fetch(`${api.url}/api/user/auth/login/`, { method: 'POST', headers: JSON_BODY, body: '['.repeat(40) }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([404, 400, 400]);
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as { details: unknown }[];
    expect(bodies.map(({ details }) => (details === null ? 'null' : typeof details))).toEqual([
      'null',
      'object',
      'string',
    ]);
    for (const body of bodies) expect({ body, valid: validate(body) }).toEqual({ body, valid: true });
  });

  it("answers the public reads and health as their documented schemas say, a closing api's 503 of health too", async () => {
    const ajv = new Ajv({ keywords: ['example', 'components'], validateFormats: false, strict: false });
    const documented = (key: string, status: string) =>
      ajv.compile({
        ...operation(key).responses[status].content!['application/json'].schema,
        components: document.components,
      });
    const registered = await fetch(`${api.url}/api/user/auth/register/`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ username: uniqueName('doc'), email: 'doc@example.com', password: TEST_PASSWORD }),
    });
    const organizerId = ((await registered.json()) as { id: number }).id;
    const name = marker();
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const [{ id }] = (
      await db.query<{ id: string }>(
        `INSERT INTO events (name, venue, time, capacity, price_per_ticket, organizer_id, description)
         VALUES ($1, 'Doc Hall', now() + interval '1 day', 10, 12.5, $2, NULL) RETURNING id`,
        [name, organizerId],
      )
    ).rows;
    await db.end();

    const reads = [
      ['GET /api/user/events', `/api/user/events/?search=${name}`],
      ['GET /api/user/events/{id}', `/api/user/events/${id}/`],
      ['GET /api/events/{id}/availability', `/api/events/${id}/availability/`],
      ['GET /api/health', '/api/health/'],
    ];
    for (const [key, path] of reads) {
      const answer = await fetch(`${api.url}${path}`);
      const body = (await answer.json()) as { count?: number };
      // Health's report, whatever its status, against its own schema: the 503's also lets an error body through.
      const validate =
        key === 'GET /api/health'
          ? ajv.compile({ $ref: '#/components/schemas/HealthReportDto', components: document.components })
          : documented(key, String(answer.status));
      expect({ key, body, valid: validate(body), errors: validate.errors }).toEqual({
        key,
        body,
        valid: true,
        errors: null,
      });
      if (key === 'GET /api/user/events') expect(body.count).toBe(1);
    }
    const closing = { error: 'The server is shutting down; retry.', details: null };
    const unavailable = documented('GET /api/health', '503');
    expect([unavailable(closing), unavailable({ status: 'degraded' })]).toEqual([true, false]);
  });

  it('documents 503 on every operation, 413 on every one with a body, and Retry-After on 429 and 503', () => {
    for (const { key, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      const expected = ['503', ...(operation.requestBody ? ['413'] : [])];
      expect({ key, statuses }).toEqual({ key, statuses: expect.arrayContaining(expected) });
      for (const status of statuses.filter((candidate) => ['429', '503'].includes(candidate))) {
        const headers = Object.keys(operation.responses[status].headers ?? {});
        expect({ key, status, headers }).toEqual({ key, status, headers: ['Retry-After'] });
      }
    }
    expect(operation('POST /api/user/auth/login').responses['429']).toBeDefined();
    const created = operation('POST /api/bookings').responses['201'];
    expect(Object.keys(created.headers ?? {})).toEqual(['Idempotent-Replayed']);
    expect(operation('PUT /api/admin/events/{id}').requestBody!.required).toBe(false);
    expect(operation('POST /api/admin/events').requestBody!.required).toBe(true);
    const key = operation('POST /api/bookings').parameters!.find(({ name }) => name === 'Idempotency-Key')!;
    expect(key.schema).toEqual({ type: 'string', minLength: 1, maxLength: 255 });
    // Its 400 with a string in `details`, beside the per-field messages of an invalid body.
    expect(operation('POST /api/bookings').responses['400'].description).toContain('`Invalid Idempotency-Key.`');
  });

  it('documents the 400, 413 and 415 that a route needing no body answers to a bad one sent anyway', async () => {
    const bodyless = [
      'POST /api/user/auth/logout',
      'DELETE /api/bookings/{id}',
      'DELETE /api/admin/events/{id}/delete',
    ];
    const sent = [
      { headers: JSON_BODY, body: '{bad', status: 400 },
      { headers: { 'content-type': 'text/plain' }, body: 'x', status: 415 },
      { headers: JSON_BODY, body: '{"pad":"', status: 413, declaredLength: 1_100_000 },
    ];
    for (const key of bodyless) {
      const [method, path] = key.split(' ');
      expect({ key, body: operation(key).requestBody }).toEqual({ key });
      const url = `${api.url}${path.replace('{id}', '00000000-0000-4000-8000-000000000000')}/`;
      for (const { headers, body, status, declaredLength } of sent) {
        expect({ key, status: await statusOf(url, method, headers, body, declaredLength) }).toEqual({ key, status });
        expect({ key, documented: operation(key).responses[status]?.description }).toEqual({
          key,
          documented: expect.any(String),
        });
      }
    }
  });

  it('takes every request body as JSON or a form, with one schema, and documents the 415 of any other type', () => {
    const withBody = operations.filter(({ operation }) => operation.requestBody);
    expect(withBody.length).toBeGreaterThanOrEqual(6);
    for (const { key, operation } of withBody) {
      const { content } = operation.requestBody!;
      const schemas = new Set(Object.values(content).map(({ schema }) => JSON.stringify(schema)));
      expect({ key, types: Object.keys(content), schemas: schemas.size }).toEqual({
        key,
        types: BODY_TYPES,
        schemas: 1,
      });
      expect({ key, unsupported: operation.responses['415']?.description }).toEqual({
        key,
        unsupported: expect.stringContaining('Unsupported media type'),
      });
    }
  });

  it("gives the lists' query parameters no example, which Swagger UI's Try it out would send as a filter", () => {
    for (const key of LISTS) {
      const queries = operation(key).parameters!.filter(({ in: location }) => location === 'query');
      expect(queries.length).toBeGreaterThanOrEqual(2);
      for (const { name, schema } of queries) expect({ key, name, example: schema.example }).toEqual({ key, name });
    }
  });

  it('formats the ids read as UUIDs as uuid', () => {
    const ids = operations.flatMap(({ key, operation }) =>
      (operation.parameters ?? [])
        .filter(({ name, in: location }) => location === 'path' && UUID_PARAMS.includes(name))
        .map(({ name, schema }) => ({ key, name, schema })),
    );
    expect(ids.length).toBeGreaterThanOrEqual(9);
    for (const id of ids) expect(id).toEqual({ ...id, schema: { type: 'string', format: 'uuid' } });
  });

  it('documents the 401 of public routes, which check a token only when one is sent', async () => {
    for (const key of PUBLIC) {
      expect({ key, security: operation(key).security }).toEqual({ key, security: undefined });
      expect({ key, description: operation(key).responses['401']?.description }).toEqual({
        key,
        description: expect.stringMatching(/only when an invalid token is sent/i),
      });
    }
    const withBadToken = await fetch(`${api.url}/api/user/events/`, {
      headers: { authorization: 'Token not-a-token' },
    });
    expect(withBadToken.status).toBe(401);
  });

  it('accepts `Bearer <token>` wherever it accepts `Token <token>`', () => {
    expect(document.components.securitySchemes.token.description).toMatch(/include the word Token/i);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const secured = operations.filter(({ operation }) => operation.security);
    expect(secured.length + PUBLIC.length).toBe(operations.length);
    for (const { key, operation } of secured) {
      expect({ key, security: operation.security }).toEqual({ key, security: [{ token: [] }, { bearer: [] }] });
    }
  });

  it('keeps the event update partial: no default on is_active, and an example with only some fields', () => {
    const update = document.components.schemas.UpdateEventDto.properties!;
    expect(update.is_active).toEqual({ type: 'boolean', description: expect.any(String) });
    expect(document.components.schemas.CreateEventDto.properties!.is_active).toMatchObject({ default: true });
    const examples = Object.values(
      operation('PUT /api/admin/events/{id}').requestBody!.content['application/json'].examples!,
    );
    expect(examples.map(({ value }) => Object.keys(value).sort())).toEqual([['capacity', 'name']]);
  });

  it('gives booking creation an example body without user_id, which would be a 403 for most callers', () => {
    expect(document.components.schemas.CreateBookingDto.properties!.user_id.example).toBeUndefined();
    const body = operation('POST /api/bookings').requestBody!.content['application/json'];
    const examples = Object.values(body.examples ?? {});
    expect(examples.length).toBeGreaterThan(0);
    for (const { value } of examples) expect(Object.keys(value).sort()).toEqual(['event_id', 'number_of_tickets']);
  });

  it('says which operations are for staff only, and who may list whose bookings', () => {
    for (const key of STAFF_ONLY) {
      const { summary, description } = operation(key);
      expect({ key, text: `${summary} ${description}` }).toEqual({ key, text: expect.stringContaining('Staff only.') });
    }
    const history = operation('GET /api/users/{user_id}/bookings');
    expect(history.summary).toMatch(/own.*staff/);
    expect(history.responses['403'].description).toMatch(/own id.*not staff/);
  });

  it('names the answers a client could misread: a booking of another user, a wrong password, an estimated count', () => {
    for (const key of ['GET /api/bookings/{id}', 'DELETE /api/bookings/{id}']) {
      expect({ key, text: operation(key).responses['403'].description }).toEqual({
        key,
        text: expect.stringMatching(/another user's booking/i),
      });
    }
    expect(operation('DELETE /api/bookings/{id}').responses['409'].description).toMatch(/cancelled or failed/);
    expect(operation('POST /api/user/auth/login').responses['400'].description).toMatch(/wrong password.*never 401/);
    const page = document.components!.schemas!.PublicEventPageDto as OpenApiSchema;
    expect(page.properties!.count.description).toMatch(/exact up to 1,000.*estimate/);
  });

  it('documents the metrics errors as the JSON they are sent as', async () => {
    const { responses } = operation('GET /api/metrics');
    expect(Object.keys(responses['200'].content!)).toEqual(['text/plain']);
    for (const status of ['401', '403', '503']) {
      expect({ status, types: Object.keys(responses[status].content!) }).toEqual({
        status,
        types: ['application/json'],
      });
    }
    const anonymous = await fetch(`${api.url}/api/metrics/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('formats instants as date-time and page links as nullable URIs; a list page past the last is a 404', () => {
    const instants = namedSchemas(document).filter(({ name }) => INSTANTS.includes(name));
    expect(instants.length).toBeGreaterThanOrEqual(10);
    for (const { name, schema } of instants) {
      expect({ name, format: schema.format }).toEqual({ name, format: 'date-time' });
    }

    const links = namedSchemas(document).filter(({ name }) => name === 'next' || name === 'previous');
    expect(links.length).toBe(2 * LISTS.length);
    for (const { schema } of links) expect(schema).toMatchObject({ type: 'string', format: 'uri', nullable: true });

    for (const key of LISTS) {
      expect({ key, description: operation(key).responses['404'].description }).toEqual({
        key,
        description: expect.stringContaining('Invalid page.'),
      });
    }
  });
});

/**
 * The status `method url` answers to `body`, or to a body declared `declaredLength` bytes long of which only `body` is
 * sent: the api answers a body declared over its limit at once and closes the connection, and a client still sending
 * the rest may see it reset before it reads the answer (a test that sent 1.1 MB with fetch failed on `write EPIPE`).
 */
function statusOf(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  declaredLength = Buffer.byteLength(body),
): Promise<number> {
  return new Promise((resolve, reject) => {
    const sending = request(url, { method, headers: { ...headers, 'content-length': declaredLength } }, (answer) => {
      answer.resume().on('end', () => {
        resolve(answer.statusCode!);
        sending.destroy();
      });
    });
    sending.on('error', reject);
    sending.write(body);
    if (declaredLength === Buffer.byteLength(body)) sending.end();
  });
}
