import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { JobProducer, QUEUES } from '@evently/queue';
import { loginAs, TEST_PASSWORD } from '@evently/testing';
import { TokensService } from '@evently/users';

import { createTestApp } from '../support/test-app';

const BOARD = '/api/admin/queues';

describe('Bull Board at /api/admin/queues', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
  });
  afterAll(() => app.close());

  const logIn = (username: string, password = TEST_PASSWORD) =>
    http.post(`${BOARD}/login`).type('form').send({ username, password });
  const cookieOf = (response: request.Response) => String(response.headers['set-cookie']).split(';')[0];
  const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);
  /** A staff member signed in to the dashboard, with the session cookie the login set. */
  const staffSession = async () => {
    const staff = await loginAs(app, 'staff');
    return { staff, cookie: cookieOf(await logIn(staff.user.username).expect(303)) };
  };
  const asApiCaller = (token: string) => http.get('/api/user/auth/me/').set('Authorization', `Token ${token}`);
  /** Moves one token's creation and expiry into the past, as if that many minutes had gone by. */
  const age = (token: string, minutes: number) =>
    app.get(DataSource).query(
      `UPDATE auth_tokens
          SET created_at = created_at - make_interval(mins => $2), expires_at = expires_at - make_interval(mins => $2)
        WHERE token_hash = $1`,
      [app.get(TokensService).digest(token), minutes],
    );

  it('sends an anonymous browser to the login form and answers anything else 401', async () => {
    const page = await http.get(`${BOARD}/`).set('Accept', 'text/html').expect(303);
    expect(page.headers.location).toBe(`${BOARD}/login`);
    const api = await http.get(`${BOARD}/api/queues`).expect(401);
    expect(api.body).toEqual({ error: expect.any(String), details: null });
    // The dashboard takes its session cookie only: no Token scheme to authenticate with, as the api's 401s name.
    expect(api.headers['www-authenticate']).toBeUndefined();
    // Only a browser's GET is redirected: a change asked for without a session is refused, whatever it accepts.
    await http.put(`${BOARD}/api/queues/mail/pause`).set('Accept', 'text/html').expect(401);
    const form = await http.get(`${BOARD}/login`).expect(200);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    expect(form.text).toContain(`action="${BOARD}/login"`);
  });

  it('refuses wrong passwords (400) and non-staff (403) without a cookie, or a Location to go on to', async () => {
    const user = await loginAs(app, 'user');
    const wrong = await logIn(user.user.username, 'not-the-password').expect(400);
    expect([wrong.headers['set-cookie'], wrong.headers.location]).toEqual([undefined, undefined]);
    const tokensOf = async () =>
      (
        await app.get(DataSource).query('SELECT count(*)::int AS n FROM auth_tokens WHERE user_id = $1', [user.user.id])
      )[0].n;
    const before = await tokensOf();
    const notStaff = await logIn(user.user.username).expect(403);
    expect([notStaff.headers['set-cookie'], notStaff.headers.location]).toEqual([undefined, undefined]);
    expect(await tokensOf()).toBe(before); // the refused login leaves no token behind
    // A plain user's token in the cookie is refused too.
    await http.get(`${BOARD}/api/queues`).set('Cookie', `evently_dashboard=${user.token}`).expect(403);
  });

  it('logs staff in with an HttpOnly, SameSite=Strict cookie scoped to the dashboard, which lists both queues', async () => {
    const staff = await loginAs(app, 'staff');
    const login = await logIn(staff.user.username).expect(303);
    expect(login.headers.location).toBe(`${BOARD}/`);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^evently_dashboard=[0-9a-f]{64}; /);
    expect(setCookie).toContain(`Path=${BOARD}`);
    expect(setCookie).toContain('Max-Age=3600');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain('Secure'); // DEBUG=true in tests: plain http; see the DEBUG=false case below

    const cookie = cookieOf(login);
    const page = await http.get(`${BOARD}/`).set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const queues = await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(200);
    expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(['bookings', 'mail']);

    const logout = await http.post(`${BOARD}/logout`).set('Cookie', cookie).expect(303);
    expect(String(logout.headers['set-cookie'])).toContain('Max-Age=0');
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(401);
  });

  it('lets staff look and only superusers change the queues (pause, retry, add or empty them)', async () => {
    const mailQueue = app.get(JobProducer).queue(QUEUES.mail);
    const { cookie: staffCookie } = await staffSession();
    await http.get(`${BOARD}/api/queues`).set('Cookie', staffCookie).expect(200);
    const refused = await http.put(`${BOARD}/api/queues/mail/pause`).set('Cookie', staffCookie).expect(403);
    expect(refused.body).toEqual({ error: expect.any(String), details: null });
    await http
      .post(`${BOARD}/api/queues/mail/add`)
      .set('Cookie', staffCookie)
      .send({ name: 'event-notice', data: {} })
      .expect(403);
    // PATCH edits a job (its payload, delay or priority): a change too, though Bull Board never sends it as PUT.
    const job = await mailQueue.add('event-notice', { marker: 'untouched' }, { delay: 60_000 });
    await http
      .patch(`${BOARD}/api/queues/mail/${job.id}/update-data`)
      .set('Cookie', staffCookie)
      .send({ jobData: { marker: 'edited' } })
      .expect(403);
    expect((await mailQueue.getJob(job.id!))?.data).toEqual({ marker: 'untouched' });
    await job.remove();
    expect(await mailQueue.isPaused()).toBe(false);

    const superuser = await loginAs(app, 'superuser');
    const superCookie = cookieOf(await logIn(superuser.user.username).expect(303));
    await http.put(`${BOARD}/api/queues/mail/pause`).set('Cookie', superCookie).expect(200);
    expect(await mailQueue.isPaused()).toBe(true);
    await http.put(`${BOARD}/api/queues/mail/resume`).set('Cookie', superCookie).expect(200);
    expect(await mailQueue.isPaused()).toBe(false);
  });

  it('finds its cookie among the other cookies a browser sends', async () => {
    const { cookie } = await staffSession();
    await http.get(`${BOARD}/api/queues`).set('Cookie', `theme=dark; ${cookie}; lang=en`).expect(200);
    await http.post(`${BOARD}/logout`).set('Cookie', `theme=dark; ${cookie}`).expect(303);
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(401);
  });

  it('ends the dashboard session of a staff member who is deactivated', async () => {
    const { staff, cookie } = await staffSession();
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(200);
    await app.get(DataSource).query('UPDATE users SET is_active = false WHERE id = $1', [staff.user.id]);
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(401);
    await http.get(`${BOARD}/`).set('Cookie', cookie).set('Accept', 'text/html').expect(303);
  });

  it('answers a NUL in the URL with 400 in the error shape (Bull Board itself answered 500)', async () => {
    const { cookie } = await staffSession();
    for (const path of ['/api/queues?status=%00', '/api/queues?activeQueue=mail&status=%00']) {
      const response = await http.get(`${BOARD}${path}`).set('Cookie', cookie);
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 400,
        body: { error: 'The URL holds a NUL character.', details: null },
      });
    }
    await http.get(`${BOARD}/api/queues?status=%00`).expect(401);
  });

  it('answers a queue name that Bull Board cannot decode again (a lone %, or an escape that is not UTF-8) with 400 in the error shape (it answered 500)', async () => {
    const { cookie } = await staffSession();
    for (const [path, name] of [
      ['/api/queues?activeQueue=%25', 'activeQueue'],
      ['/api/queues?activeQueue=ma%25il&status=latest', 'activeQueue'],
      ['/api/queues?activeQueue=%25E0%25A4', 'activeQueue'],
      ['/api/job-schedulers?queueName=%25', 'queueName'],
    ]) {
      const response = await http.get(`${BOARD}${path}`).set('Cookie', cookie);
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 400,
        body: { error: 'Validation failed.', details: { [name]: ['Not a queue name.'] } },
      });
    }
    await http.get(`${BOARD}/api/queues?activeQueue=mail`).set('Cookie', cookie).expect(200);
    await http.get(`${BOARD}/api/job-schedulers?queueName=mail`).set('Cookie', cookie).expect(200);
  });

  it('refuses a session older than DASHBOARD_SESSION_MINUTES, and its token stops working on the api', async () => {
    const { staff, cookie } = await staffSession();
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(200);
    await app
      .get(DataSource)
      .query(`UPDATE auth_tokens SET created_at = now() - interval '61 minutes' WHERE user_id = $1`, [staff.user.id]);
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(401);
    await asApiCaller(tokenOf(cookie)).expect(401);
  });

  it('refuses a session whose token has expired, even if its creation looks recent (a longer lifetime since)', async () => {
    const { cookie } = await staffSession();
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(200);
    await app
      .get(DataSource)
      .query(`UPDATE auth_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = $1`, [
        app.get(TokensService).digest(tokenOf(cookie)),
      ]);
    await http.get(`${BOARD}/api/queues`).set('Cookie', cookie).expect(401);
  });

  it('lets the api take a dashboard token until DASHBOARD_SESSION_MINUTES end, even one the dashboard never sees again', async () => {
    const { staff, cookie } = await staffSession();
    const token = tokenOf(cookie);
    await asApiCaller(token).expect(200);
    await age(token, 59);
    await asApiCaller(token).expect(200);
    await age(token, 2);
    await asApiCaller(token).expect(401);
    await age(staff.token, 61);
    await asApiCaller(staff.token).expect(200); // the same user's api token, as old, does not expire
  });

  it('marks the cookie Secure when DEBUG is False', async () => {
    process.env.DEBUG = 'false';
    const production = await createTestApp().finally(() => (process.env.DEBUG = 'true'));
    try {
      const staff = await loginAs(production, 'staff');
      const login = await request(production.getHttpServer())
        .post(`${BOARD}/login`)
        .type('form')
        .send({ username: staff.user.username, password: TEST_PASSWORD })
        .expect(303);
      expect(String(login.headers['set-cookie'])).toMatch(/; Secure$/);
    } finally {
      await production.close();
    }
  });
});
