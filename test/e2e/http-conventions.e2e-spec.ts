import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';

import { loginAs } from '@evently/testing';

import { createTestApp } from '../support/test-app';

describe('HTTP conventions', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
  });
  afterAll(() => app.close());

  const expectErrorShape = (body: Record<string, unknown>) => {
    expect(Object.keys(body).sort()).toEqual(['details', 'error']);
    expect(typeof body.error).toBe('string');
  };

  it('answers unknown routes with 404 in the error shape', async () => {
    const response = await http.get('/api/no-such-thing/').expect(404);
    expect(response.body).toEqual({ error: expect.any(String), details: null });
  });

  it('rejects malformed JSON with 400 in the error shape', async () => {
    const response = await http
      .post('/api/user/auth/login/')
      .set('content-type', 'application/json')
      .send('{"username": ')
      .expect(400);
    expect(response.body).toEqual({ error: expect.any(String), details: null });
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

  it('rejects bodies over 1 MB with 413 in the error shape', async () => {
    const response = await http
      .post('/api/user/auth/register/')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ username: 'x', address: 'a'.repeat(1024 * 1024) }))
      .expect(413);
    expectErrorShape(response.body);
  });

  it('rejects a non-JSON body with a 4xx in the error shape', async () => {
    const response = await http.post('/api/user/auth/login/').set('content-type', 'text/plain').send('hi');
    expect([400, 415]).toContain(response.status);
    expectErrorShape(response.body);
  });

  it('routes every path with and without the trailing slash, for every method, without redirects', async () => {
    const session = await loginAs(app);
    await http.get('/api/user/auth/me').set(session.headers).expect(200);
    await http.get('/api/user/auth/me/').set(session.headers).expect(200);
    await http
      .post('/api/user/auth/logout')
      .set((await loginAs(app)).headers)
      .expect(200);
    await http.post('/api/user/auth/logout/').set(session.headers).expect(200);
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
    const hostile = await http.get('/api/health/').set('X-Request-Id', 'bad id\twith spaces');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps CORS closed by default', async () => {
    const response = await http.get('/api/health/').set('Origin', 'https://evil.example');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a Host outside ALLOWED_HOSTS', async () => {
    const response = await http.get('/api/health/').set('Host', 'attacker.example').expect(400);
    expectErrorShape(response.body);
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
});
