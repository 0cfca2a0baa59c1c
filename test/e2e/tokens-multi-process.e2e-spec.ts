import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';

import { eventually, TEST_PASSWORD, uniqueName } from '@evently/testing';

import { RunningProcess, startApiProcess } from '../support/processes';
import { createTestApp, dataSourceOf } from '../support/test-app';

type Api = RunningProcess & { url: string };

/** Tokens across two compiled api processes: what one process revokes, the other refuses at once. */
describe('tokens on every api process', () => {
  let app: NestFastifyApplication;
  let db: DataSource;
  let apis: [Api, Api];

  beforeAll(async () => {
    app = await createTestApp();
    db = dataSourceOf(app);
    apis = (await Promise.all([startApiProcess(), startApiProcess()])) as [Api, Api];
  });
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()));
    await app.close();
  });

  const call = async (api: Api, method: string, path: string, token?: string, body?: object) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(token && { Authorization: `Token ${token}` }),
        ...(body && { 'Content-Type': 'application/json' }),
      },
      body: body && JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { id: number; token: string } };
  };
  /** The process's output once a marker request's log line is in it: lines are written in order, in batches. */
  const flushedOutput = async (api: Api) => {
    const marker = uniqueName('log-marker');
    await fetch(`${api.url}/api/user/events/`, { headers: { 'x-request-id': marker } });
    return eventually(async () => (api.output().includes(marker) ? api.output() : undefined));
  };
  const me = (api: Api, token: string) => call(api, 'GET', '/api/user/auth/me/', token).then(({ status }) => status);

  async function registerAndLogin(): Promise<{ id: number; username: string; token: string }> {
    const username = uniqueName('multi');
    const registered = await call(apis[0], 'POST', '/api/user/auth/register/', undefined, {
      username,
      email: `${username}@example.com`,
      password: TEST_PASSWORD,
    });
    expect(registered.status).toBe(201);
    const login = await call(apis[0], 'POST', '/api/user/auth/login/', undefined, {
      username,
      password: TEST_PASSWORD,
    });
    expect(login.status).toBe(200);
    return { id: registered.body.id, username, token: login.body.token };
  }

  it('logout through one process kills the token on both, even right after the other used it', async () => {
    const { token } = await registerAndLogin();
    expect([await me(apis[0], token), await me(apis[1], token)]).toEqual([200, 200]);

    expect((await call(apis[1], 'POST', '/api/user/auth/logout/', token)).status).toBe(200);

    expect([await me(apis[0], token), await me(apis[1], token)]).toEqual([401, 401]);
    expect((await call(apis[0], 'POST', '/api/user/auth/logout/', token)).status).toBe(401);
  });

  it.each([
    ['deactivated', 'UPDATE users SET is_active = false WHERE id = $1'],
    ['deleted', 'DELETE FROM users WHERE id = $1'],
  ])('refuses the token of a %s user on both processes', async (_state, statement) => {
    const { id, token } = await registerAndLogin();
    expect([await me(apis[0], token), await me(apis[1], token)]).toEqual([200, 200]);

    await db.query(statement, [id]);

    const refusals = [await call(apis[0], 'GET', '/api/user/auth/me/', token), await me(apis[1], token)];
    expect(refusals).toEqual([{ status: 401, body: { error: expect.any(String), details: null } }, 401]);
  });

  it('keeps only digests in the database and never writes a token to the logs', async () => {
    const { id, token } = await registerAndLogin();
    await me(apis[1], token);
    await call(apis[1], 'GET', '/api/user/auth/me/', `${token}0`);

    const rows = await db.query(`SELECT t::text AS row FROM auth_tokens t WHERE user_id = $1`, [id]);
    expect(rows).toHaveLength(2);
    for (const { row } of rows) expect(row).not.toContain(token);
    const [{ leaked }] = await db.query(`SELECT count(*)::int AS leaked FROM auth_tokens t WHERE t::text LIKE $1`, [
      `%${token}%`,
    ]);
    expect(leaked).toBe(0);

    for (const api of apis) {
      const output = await flushedOutput(api);
      expect(output).toContain('/api/user/auth/me/');
      expect(output).not.toContain(token);
    }
  });
});
