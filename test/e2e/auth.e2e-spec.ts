import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { RedisService } from '@evently/cache';
import { loginAs, TEST_PASSWORD, uniqueName } from '@evently/testing';
import { MAX_TOKENS_PER_USER, TokensService } from '@evently/users';

import { createTestApp } from '../support/test-app';
import { holding, waitForBlocked } from '../support/lock-waits';
import { withEnv } from '../support/with-env';

describe('accounts: register, login, logout, me', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
  });
  afterAll(() => app.close());

  const registration = (overrides: Record<string, unknown> = {}) => ({
    username: uniqueName('john'),
    email: 'john@example.com',
    password: 'correct-horse-battery',
    first_name: 'John',
    last_name: 'Doe',
    phone_number: '+1234567890',
    address: '123 Main St, City',
    ...overrides,
  });

  it('registers a user and answers with the spec body and a working token', async () => {
    const body = registration();
    const response = await http.post('/api/user/auth/register/').send(body).expect(201);
    expect(Object.keys(response.body).sort()).toEqual(['email', 'id', 'token', 'username']);
    expect(response.body).toMatchObject({ username: body.username, email: body.email });
    expect(Number.isInteger(response.body.id)).toBe(true);
    expect(response.body.token).toMatch(/^[0-9a-f]{64}$/);

    const me = await http.get('/api/user/auth/me/').set('Authorization', `Token ${response.body.token}`).expect(200);
    expect(me.body).toEqual({
      id: response.body.id,
      username: body.username,
      email: body.email,
      first_name: 'John',
      last_name: 'Doe',
      phone_number: '+1234567890',
      address: '123 Main St, City',
      is_staff: false,
      is_superuser: false,
    });
  });

  it('ignores server-owned fields on register', async () => {
    const response = await http
      .post('/api/user/auth/register')
      .send(registration({ is_staff: true, is_superuser: true, id: 999999 }))
      .expect(201);
    expect(response.body.id).not.toBe(999999);
    const me = await http.get('/api/user/auth/me').set('Authorization', `Bearer ${response.body.token}`).expect(200);
    expect(me.body).toMatchObject({ is_staff: false, is_superuser: false });
  });

  it.each([
    ['too short', 'short-pass', 'too short'],
    ['too long', 'x'.repeat(129) + 'Aa1', 'too long'],
    ['common', 'password1234', 'too common'],
    ['containing the username', null, 'username'],
  ])('refuses a password that is %s and says which rule failed', async (_case, password, rule) => {
    const body = registration();
    const response = await http
      .post('/api/user/auth/register/')
      .send({ ...body, password: password ?? `xx${body.username}xx` })
      .expect(400);
    expect(response.body.error).toEqual(expect.any(String));
    expect(JSON.stringify(response.body.details.password)).toContain(rule);
  });

  it('refuses a password containing the username however short the username is', async () => {
    const response = await http
      .post('/api/user/auth/register/')
      .send(registration({ username: 'jo', password: 'JO-correct-horse-battery' }))
      .expect(400);
    expect(JSON.stringify(response.body.details.password)).toContain('username');
  });

  const failLogin = (username: string) =>
    http.post('/api/user/auth/login/').send({ username, password: 'wrong-password!' }).expect(400);
  const failureLog = (redis: RedisService, ...parts: string[]) => redis.key('login-failure-times', ...parts);
  const redisNowMs = async (redis: RedisService) => {
    const [seconds, microseconds] = await redis.client.time();
    return Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000);
  };

  /** Failed logins as a client behind the trusted proxy, each for a fresh username. */
  const sprayingFrom = (proxied: NestFastifyApplication) => (ip: string) =>
    request(proxied.getHttpServer())
      .post('/api/user/auth/login/')
      .set('X-Forwarded-For', ip)
      .send({ username: uniqueName('spray'), password: 'wrong-password!' });
  /**
   * Correct logins sent at once over one listening socket, from `clientIp` behind the trusted proxy, while the
   * users table is held for a second, so every login let through the limit waits for its password check: all are in
   * flight at once, as on a busy api.
   */
  const allInFlight = async (target: NestFastifyApplication, usernames: string[], clientIp: string) => {
    await target.listen(0, '127.0.0.1');
    const url = `${await target.getUrl()}/api/user/auth/login/`;
    const logIn = (username: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp },
        body: JSON.stringify({ username, password: TEST_PASSWORD }),
      });
    const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    const { answered } = await holding(db, 'LOCK TABLE users IN ACCESS EXCLUSIVE MODE', [], async () => {
      const logins = { answered: Promise.all(usernames.map(logIn)) };
      await waitForBlocked(db, '"user"."username"');
      await sleep(1_000);
      return logins;
    }).finally(() => db.end());
    return answered;
  };
  const asciiPassword = (length: number) => 'correct-horse-battery-staple-'.repeat(5).slice(0, length);
  /** Characters outside the BMP, two UTF-16 units each: the rule counts characters, as Django does, not units. */
  const astralPassword = (length: number) =>
    String.fromCodePoint(...Array.from({ length }, (_, index) => 0x1f600 + index));

  it.each([
    ['11 characters', asciiPassword(11), 'too short'],
    ['12 characters', asciiPassword(12), null],
    ['128 characters', asciiPassword(128), null],
    ['129 characters', asciiPassword(129), 'too long'],
    ['11 characters in 22 UTF-16 units', astralPassword(11), 'too short'],
    ['128 characters in 256 UTF-16 units', astralPassword(128), null],
  ])('takes passwords of 12 to 128 characters: %s', async (_case, password, rule) => {
    const body = registration({ password });
    const response = await http.post('/api/user/auth/register/').send(body);
    if (rule) {
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.details.password)).toContain(rule);
    } else {
      expect(response.status).toBe(201);
      await http.post('/api/user/auth/login/').send({ username: body.username, password }).expect(200);
    }
  });

  it('refuses a taken username and invalid fields with per-field details', async () => {
    const body = registration();
    await http.post('/api/user/auth/register/').send(body).expect(201);
    const taken = await http.post('/api/user/auth/register/').send(body).expect(400);
    expect(taken.body.details).toHaveProperty('username');

    const invalid = await http
      .post('/api/user/auth/register/')
      .send({ username: 'bad name!', email: 'not-an-email', password: true })
      .expect(400);
    expect(Object.keys(invalid.body.details)).toEqual(expect.arrayContaining(['username', 'email', 'password']));
  });

  it('takes usernames in any script, stored and looked up in NFKC as Django does', async () => {
    const suffix = uniqueName('').slice(1);
    const fullWidth = `Ｍüller_${suffix}`;
    const registered = await http
      .post('/api/user/auth/register/')
      .send(registration({ username: fullWidth }))
      .expect(201);
    expect(registered.body.username).toBe(`Müller_${suffix}`);
    for (const spelling of [`Müller_${suffix}`, fullWidth]) {
      await http
        .post('/api/user/auth/login/')
        .send({ username: spelling, password: 'correct-horse-battery' })
        .expect(200);
    }
    const taken = await http
      .post('/api/user/auth/register/')
      .send(registration({ username: `Müller_${suffix}` }))
      .expect(400);
    expect(taken.body.details).toHaveProperty('username');
    await http
      .post('/api/user/auth/register/')
      .send(registration({ username: `Дмитрий_${suffix}` }))
      .expect(201);
  });

  it.each([
    ['outgrows 150 characters', '\ufb03'.repeat(60)],
    ['holds a space', '\ufdfa'],
  ])('refuses a username that, once normalised, %s: 400 naming the field', async (_case, username) => {
    const response = await http.post('/api/user/auth/register/').send(registration({ username })).expect(400);
    expect(response.body.details).toHaveProperty('username');
  });

  it("trims register's and login's text fields as DRF does, not the password, and lower-cases the email's domain", async () => {
    const username = uniqueName('trim');
    const registered = await http
      .post('/api/user/auth/register/')
      .send(registration({ username: ` ${username}\t`, email: ' John.Doe@Example.COM ', first_name: ' John ' }))
      .expect(201);
    expect(registered.body).toMatchObject({ username, email: 'John.Doe@example.com' });
    const me = await http.get('/api/user/auth/me/').set('Authorization', `Token ${registered.body.token}`).expect(200);
    expect(me.body.first_name).toBe('John');
    await http
      .post('/api/user/auth/login/')
      .send({ username: `${username} `, password: 'correct-horse-battery' })
      .expect(200);
    await http.post('/api/user/auth/login/').send({ username, password: ' correct-horse-battery' }).expect(400);
  });

  it('keeps the spaces around a registered password, so the password as typed is the one that logs in', async () => {
    const password = ' correct-horse-battery ';
    const { username } = (await http.post('/api/user/auth/register/').send(registration({ password })).expect(201))
      .body;
    await http.post('/api/user/auth/login/').send({ username, password }).expect(200);
    await http.post('/api/user/auth/login/').send({ username, password: password.trim() }).expect(400);
  });

  it('refuses an explicit null name, whose columns are not nullable, and takes null for the phone and address', async () => {
    for (const field of ['first_name', 'last_name']) {
      const refused = await http.post('/api/user/auth/register/').send(registration({ [field]: null }));
      expect(refused.status).toBe(400);
      expect(Object.keys(refused.body.details)).toEqual([field]);
    }
    const response = await http
      .post('/api/user/auth/register/')
      .send(registration({ phone_number: null, address: null }))
      .expect(201);
    const me = await http.get('/api/user/auth/me/').set('Authorization', `Token ${response.body.token}`).expect(200);
    expect(me.body).toMatchObject({ first_name: 'John', last_name: 'Doe', phone_number: null, address: null });
  });

  it('takes an empty phone number, as a form sends an empty optional field', async () => {
    const response = await http
      .post('/api/user/auth/register/')
      .send(registration({ phone_number: '' }))
      .expect(201);
    const me = await http.get('/api/user/auth/me/').set('Authorization', `Token ${response.body.token}`).expect(200);
    expect(me.body.phone_number).toBe('');
  });

  it.each([
    ['dots and an extension', '555.123.4567 x1', '555.123.4567 x1'],
    ['a JSON number, read as its text as DRF did', 5551234, '5551234'],
  ])('takes a phone number of up to 15 characters of any kind: %s', async (_, sent, stored) => {
    const response = await http
      .post('/api/user/auth/register/')
      .send(registration({ phone_number: sent }))
      .expect(201);
    const me = await http.get('/api/user/auth/me/').set('Authorization', `Token ${response.body.token}`).expect(200);
    expect(me.body.phone_number).toBe(stored);
    const tooLong = await http.post('/api/user/auth/register/').send(registration({ phone_number: '1'.repeat(16) }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.details).toHaveProperty('phone_number');
  });

  it('logs in, gives one token per login, and logout deletes only that token', async () => {
    const { username } = (await http.post('/api/user/auth/register/').send(registration()).expect(201)).body;
    const first = (
      await http.post('/api/user/auth/login/').send({ username, password: 'correct-horse-battery' }).expect(200)
    ).body.token;
    const second = (
      await http.post('/api/user/auth/login').send({ username, password: 'correct-horse-battery' }).expect(200)
    ).body.token;
    expect(first).not.toEqual(second);

    const logout = await http.post('/api/user/auth/logout/').set('Authorization', `Token ${first}`).expect(200);
    expect(logout.body).toEqual({ status: 'logged_out' });
    await http.get('/api/user/auth/me/').set('Authorization', `Token ${first}`).expect(401);
    await http.get('/api/user/auth/me/').set('Authorization', `Token ${second}`).expect(200);
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const { user } = await loginAs(app);
    const wrongPassword = await http
      .post('/api/user/auth/login/')
      .send({ username: user.username, password: 'nope-nope-nope' });
    const unknownUser = await http
      .post('/api/user/auth/login/')
      .send({ username: uniqueName('ghost'), password: 'nope-nope-nope' });
    expect(wrongPassword.status).toBe(400);
    expect(unknownUser.status).toBe(wrongPassword.status);
    expect(unknownUser.body).toEqual(wrongPassword.body);
  });

  it('limits failed logins per username with 429 and Retry-After, shared through Redis', async () => {
    const { user } = await loginAs(app);
    for (let attempt = 0; attempt < 10; attempt++) await failLogin(user.username);
    const limited = await http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD });
    expect(limited.status).toBe(429);
    // Until the first failure leaves the 15-minute window: not the few seconds of a login refused as busy.
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(60);
    expect(limited.body.error).toEqual(expect.any(String));

    const otherApp = await createTestApp();
    try {
      await request(otherApp.getHttpServer())
        .post('/api/user/auth/login/')
        .send({ username: user.username, password: TEST_PASSWORD })
        .expect(429);
    } finally {
      await otherApp.close();
    }
  });

  it("forgives a username's failures once its owner logs in: typos before a correct login never add up to a lockout", async () => {
    const { user } = await loginAs(app);
    const logIn = () =>
      http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD }).expect(200);
    for (let attempt = 0; attempt < 9; attempt++) await failLogin(user.username);
    await logIn();
    for (let attempt = 0; attempt < 9; attempt++) await failLogin(user.username);
    await logIn();
  });

  it('counts the failures of every spelling that names one account together: look-alikes get no extra guesses', async () => {
    const suffix = uniqueName('').slice(1);
    const [plain, fullWidth] = [`Müller_${suffix}`, `Ｍüller_${suffix}`];
    await http
      .post('/api/user/auth/register/')
      .send(registration({ username: plain }))
      .expect(201);
    for (let attempt = 0; attempt < 5; attempt++) await failLogin(plain);
    for (let attempt = 0; attempt < 5; attempt++) await failLogin(fullWidth);
    for (const spelling of [plain, fullWidth]) {
      await http
        .post('/api/user/auth/login/')
        .send({ username: spelling, password: 'correct-horse-battery' })
        .expect(429);
    }
  });

  it("counts each username's failures on their own: a case variant's successful login forgives nothing", async () => {
    const victim = (await http.post('/api/user/auth/register/').send(registration()).expect(201)).body.username;
    const variant = victim.toUpperCase();
    await http
      .post('/api/user/auth/register/')
      .send(registration({ username: variant }))
      .expect(201);
    const failAsVictim = () => failLogin(victim);
    for (let attempt = 0; attempt < 9; attempt++) await failAsVictim();
    await http.post('/api/user/auth/login/').send({ username: variant, password: 'correct-horse-battery' }).expect(200);
    await failAsVictim();
    await http.post('/api/user/auth/login/').send({ username: victim, password: 'correct-horse-battery' }).expect(429);
  });

  it('keeps each failure for 15 minutes, and every failure log expires once none of it counts', async () => {
    const { user } = await loginAs(app);
    const redis = app.get(RedisService);
    const fail = () => failLogin(user.username);
    await fail();
    const userKey = failureLog(redis, 'user', user.username);
    expect(await redis.client.ttl(userKey)).toBeGreaterThan(890);
    expect(await redis.client.ttl(userKey)).toBeLessThanOrEqual(900);
    for (const ipKey of await redis.client.keys(failureLog(redis, 'ip', '*'))) {
      expect(await redis.client.ttl(ipKey)).toBeGreaterThan(0);
    }
    await redis.client.expire(userKey, 100);
    await fail();
    expect(await redis.client.ttl(userKey)).toBeGreaterThan(890);
  });

  it('slides the 15-minute window: a failure that leaves it lets one more attempt in, not another ten', async () => {
    const { user } = await loginAs(app);
    const redis = app.get(RedisService);
    const log = failureLog(redis, 'user', user.username);
    const now = await redisNowMs(redis);
    const failuresAt = (time: number, count: number, name: string) =>
      Array.from({ length: count }, (_, index) => [time, `${name}-${index}`]).flat();
    await redis.client.zadd(
      log,
      ...failuresAt(now - 16 * 60_000, 9, 'gone'), // out of the window: no longer counted
      ...failuresAt(now - 14 * 60_000, 1, 'oldest'), // leaves the window in a minute
      ...failuresAt(now - 30_000, 8, 'recent'),
    );
    const logIn = () => http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD });

    await failLogin(user.username);
    const untilOldestLeaves = await logIn().expect(429);
    expect(Number(untilOldestLeaves.headers['retry-after'])).toBeGreaterThan(30);
    expect(Number(untilOldestLeaves.headers['retry-after'])).toBeLessThanOrEqual(60);

    // As the minute passes for the oldest failure (the others' times stay as they are): it leaves, one attempt is let in.
    await redis.client.zadd(log, now - 16 * 60_000, 'oldest-0');
    await failLogin(user.username);
    const untilNextLeaves = await logIn().expect(429);
    expect(Number(untilNextLeaves.headers['retry-after'])).toBeGreaterThan(840);
    expect(Number(untilNextLeaves.headers['retry-after'])).toBeLessThanOrEqual(870);
  });

  it('counts afresh beside a fixed-window counter the previous version left, without tripping over its type', async () => {
    const { user } = await loginAs(app);
    const redis = app.get(RedisService);
    await redis.client.set(redis.key('login-failures', 'user', user.username), '5', 'EX', 900);
    for (let attempt = 0; attempt < 10; attempt++) await failLogin(user.username);
    await http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD }).expect(429);
  });

  it('counts failed logins sent at once: no more than 10 reach the password check', async () => {
    const { user } = await loginAs(app);
    const attempts = await Promise.all(
      Array.from({ length: 30 }, () =>
        http.post('/api/user/auth/login/').send({ username: user.username, password: 'wrong-password!' }),
      ),
    );
    const statuses = attempts.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(10).fill(400), ...Array(20).fill(429)]);
    await http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD }).expect(429);
  });

  it('a successful login counts nothing on the client IP: the limit counts failures only', async () => {
    const { user } = await loginAs(app);
    const redis = app.get(RedisService);
    const fail = () => failLogin(user.username);
    await fail();
    const [ipKey] = await redis.client.keys(failureLog(redis, 'ip', '*'));
    const ipFailures = () => redis.client.zcard(ipKey);
    const before = await ipFailures();
    await fail();
    await fail();
    await http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD }).expect(200);
    expect(await ipFailures()).toBe(before + 2);
  });

  it('lets correct logins sent at once from one client IP all in, however many: only failures count toward its limit', async () => {
    const proxied = await withEnv({ TRUST_PROXY: 'loopback' }, createTestApp);
    try {
      const { user } = await loginAs(proxied);
      // Many people behind one NAT, logging in as a sale opens: 150 accounts with the same password's hash.
      const names: { username: string }[] = await proxied.get(DataSource).query(
        `INSERT INTO users (username, email, password)
         SELECT $2 || '_' || n, $2 || '_' || n || '@example.com', password FROM users, generate_series(1, 150) n
          WHERE id = $1
         RETURNING username`,
        [user.id, uniqueName('crowd')],
      );
      const logins = await allInFlight(
        proxied,
        names.map(({ username }) => username),
        '192.0.2.150',
      );
      expect(logins.map((response) => response.status)).toEqual(Array(150).fill(200));
    } finally {
      await proxied.close();
    }
  });

  it("lets one account's correct logins sent at once all in: a load test's users, or many devices", async () => {
    const listening = await withEnv({ TRUST_PROXY: 'loopback' }, createTestApp);
    try {
      const { user } = await loginAs(listening);
      const logins = await allInFlight(listening, Array(30).fill(user.username), '192.0.2.152');
      expect(logins.map((response) => response.status)).toEqual(Array(30).fill(200));
    } finally {
      await listening.close();
    }
  });

  it("limits no endpoint but login: one user's 150 requests sent at once to the others all answer", async () => {
    const { user, headers } = await loginAs(app);
    const paths = ['/api/user/auth/me/', '/api/user/events/', `/api/users/${user.id}/bookings/`];
    const statuses = await Promise.all(
      Array.from({ length: 150 }, (_, index) => http.get(paths[index % paths.length]).set(headers)),
    );
    expect(statuses.map((response) => response.status)).toEqual(Array(150).fill(200));
  });

  it('a login the database could not answer (503) gives its place back and counts as no failure', async () => {
    const { user } = await loginAs(app);
    const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    try {
      // Held past the apps' lock timeout (5 s): the login's lookup gives up.
      await holding(db, 'LOCK TABLE users IN ACCESS EXCLUSIVE MODE', [], () =>
        http.post('/api/user/auth/login/').send({ username: user.username, password: TEST_PASSWORD }).expect(503),
      );
    } finally {
      await db.end();
    }
    for (let attempt = 0; attempt < 10; attempt++) await failLogin(user.username);
  });

  it('counts failed logins sent at once from one client IP: no more than 100 reach the password check', async () => {
    const proxied = await withEnv({ TRUST_PROXY: 'loopback' }, createTestApp);
    try {
      const fromIp = sprayingFrom(proxied);
      const responses = await Promise.all(Array.from({ length: 150 }, () => fromIp('192.0.2.151')));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([...Array(100).fill(400), ...Array(50).fill(429)]);
    } finally {
      await proxied.close();
    }
  });

  it('behind a trusted proxy, takes the client IP from the address that proxy added, not one the client wrote', async () => {
    const proxied = await withEnv({ TRUST_PROXY: 'loopback' }, createTestApp);
    try {
      const redis = proxied.get(RedisService);
      await request(proxied.getHttpServer())
        .post('/api/user/auth/login/')
        .set('X-Forwarded-For', '203.0.113.66, 198.51.100.7')
        .send({ username: uniqueName('ghost'), password: 'wrong-password!' })
        .expect(400);
      expect(await redis.client.exists(failureLog(redis, 'ip', '198.51.100.7'))).toBe(1);
      expect(await redis.client.exists(failureLog(redis, 'ip', '203.0.113.66'))).toBe(0);
    } finally {
      await proxied.close();
    }
  });

  it('limits failed logins per client IP too, above 100, however many usernames they spread over', async () => {
    const proxied = await withEnv({ TRUST_PROXY: 'loopback' }, createTestApp);
    try {
      const fromIp = sprayingFrom(proxied);
      const sprayer = '192.0.2.44';
      // One failure per (unknown) username, so no username comes near its own limit of 10.
      const statuses: number[] = [];
      for (let wave = 0; wave < 10; wave++) {
        const responses = await Promise.all(Array.from({ length: 10 }, () => fromIp(sprayer)));
        statuses.push(...responses.map((response) => response.status));
      }
      expect(statuses).toEqual(Array(100).fill(400));
      let limited: request.Response | undefined;
      for (let attempt = 0; attempt < 100 && !limited; attempt++) {
        const response = await fromIp(sprayer);
        if (response.status === 429) limited = response;
        else expect(response.status).toBe(400);
      }
      expect(limited?.status).toBe(429);
      expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
      await fromIp(sprayer).expect(429);
      await fromIp('192.0.2.45').expect(400);
    } finally {
      await proxied.close();
    }
  });

  it('counts IPv6 clients by their /64: fresh addresses in one /64 share its limit, the next /64 has its own', async () => {
    const proxied = await withEnv({ TRUST_PROXY: 'loopback' }, createTestApp);
    try {
      const fromIp = sprayingFrom(proxied);
      const site = `2001:db8:${randomInt(0x10000).toString(16)}`;
      const subnet = `${site}:7`;
      const nextSubnet = `${site}:8`;
      const statuses: number[] = [];
      for (let wave = 0; wave < 10; wave++) {
        const addresses = Array.from({ length: 10 }, (_, index) => `${subnet}:${wave}:${index}::1`);
        const responses = await Promise.all(addresses.map(fromIp));
        statuses.push(...responses.map((response) => response.status));
      }
      expect(statuses).toEqual(Array(100).fill(400));
      const limited = await fromIp(`${subnet}:ffff:ffff:ffff:fffe`).expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      await fromIp(`${nextSubnet}::1`).expect(400);
    } finally {
      await proxied.close();
    }
  });

  it('keeps the newest 100 tokens of a user: a 101st login ends the oldest session, so logins cannot grow the table', async () => {
    const { user, token: oldest } = await loginAs(app);
    const tokens = app.get(TokensService);
    const issued = [];
    for (let login = 0; login < MAX_TOKENS_PER_USER; login++) issued.push(await tokens.issue(user.id));
    await http.get('/api/user/auth/me/').set('Authorization', `Token ${oldest}`).expect(401);
    await http.get('/api/user/auth/me/').set('Authorization', `Token ${issued[0]}`).expect(200);
    const [{ count }] = await app
      .get(DataSource)
      .query('SELECT count(*)::int AS count FROM auth_tokens WHERE user_id = $1', [user.id]);
    expect(count).toBe(MAX_TOKENS_PER_USER);
  });

  it('refuses missing, malformed and unknown tokens with 401', async () => {
    await http.get('/api/user/auth/me/').expect(401);
    await http.get('/api/user/auth/me/').set('Authorization', 'Token').expect(401);
    await http
      .get('/api/user/auth/me/')
      .set('Authorization', `Token ${'0'.repeat(64)}`)
      .expect(401);
    const response = await http.post('/api/user/auth/logout/').set('Authorization', 'Bearer not-a-token').expect(401);
    expect(response.body).toEqual({ error: expect.any(String), details: null });
    // DRF refuses a header with anything after the token, even when the token itself is good.
    const { token } = await loginAs(app);
    await http.get('/api/user/auth/me/').set('Authorization', `Token ${token} extra`).expect(401);
    await http.get('/api/user/auth/me/').set('Authorization', `Token ${token}`).expect(200);
  });

  it('refuses the token of a deactivated user', async () => {
    const session = await loginAs(app);
    await app.get(DataSource).query('UPDATE users SET is_active = false WHERE id = $1', [session.user.id]);
    await http.get('/api/user/auth/me/').set(session.headers).expect(401);
  });

  it('refuses to log in a deactivated user, with the answer an unknown user gets, and issues no token', async () => {
    const { user } = await loginAs(app);
    const dataSource = app.get(DataSource);
    await dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    const tokensBefore = await dataSource.query('SELECT token_hash FROM auth_tokens WHERE user_id = $1', [user.id]);

    const deactivated = await http
      .post('/api/user/auth/login/')
      .send({ username: user.username, password: TEST_PASSWORD });
    const unknownUser = await http
      .post('/api/user/auth/login/')
      .send({ username: uniqueName('ghost'), password: TEST_PASSWORD });
    expect(deactivated.status).toBe(400);
    expect(deactivated.body).toEqual(unknownUser.body);
    expect(await dataSource.query('SELECT token_hash FROM auth_tokens WHERE user_id = $1', [user.id])).toEqual(
      tokensBefore,
    );
  });

  it('stores only token digests and password hashes', async () => {
    const { body } = await http.post('/api/user/auth/register/').send(registration()).expect(201);
    const [row] = await app
      .get(DataSource)
      .query('SELECT t.token_hash, u.password FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE u.id = $1', [
        body.id,
      ]);
    expect(row.token_hash).not.toEqual(body.token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.password).toMatch(/^\$argon2id\$/);
  });
});
