import { RunningProcess, startApiProcess } from '../support/processes';

interface Operation {
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  requestBody?: unknown;
}

/** The OpenAPI document of the compiled api, where the Swagger CLI plugin has run, as users get it. */
describe('OpenAPI document (compiled api)', () => {
  let api: RunningProcess & { url: string };
  let document: {
    paths: Record<string, Record<string, Operation>>;
    components: Record<string, Record<string, unknown>>;
  };

  beforeAll(async () => {
    api = await startApiProcess();
    document = (await (await fetch(`${api.url}/api/docs-json`)).json()) as typeof document;
  });
  afterAll(() => api.stop());

  it('is served with Swagger UI', async () => {
    expect((await fetch(`${api.url}/api/docs`)).status).toBe(200);
    expect(document.components.securitySchemes.token).toMatchObject({ type: 'apiKey', name: 'Authorization' });
  });

  it('documents every operation with a tag, a success schema and its error responses', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(6);
    for (const { name, operation } of operations) {
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
    const schema = document.components.schemas.CreateBookingDto as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['user_id', 'event_id', 'number_of_tickets']),
    );
  });
});
