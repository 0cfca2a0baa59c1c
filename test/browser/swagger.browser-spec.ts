import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Browser, chromium, Page } from 'playwright-core';

import { loginAs, TestSession } from '@evently/testing';

import { API_TAGS } from '../../apps/api/src/common/swagger';
import { createTestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
// Not a loopback name, so Chromium applies the rules a deployed plain-http site gets (it exempts localhost
// from upgrade-insecure-requests, for one); the resolver rule still sends it to 127.0.0.1.
const HOST = 'evently.test';
const SCREENSHOT = join(__dirname, '..', 'artifacts', 'swagger.png');

describe('Swagger UI in Chromium', () => {
  let app: NestFastifyApplication | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let session: TestSession;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `The browser test drives Debian's Chromium at ${CHROMIUM}, which is missing: ` +
          'install it with `apt-get install chromium` (playwright never downloads a browser here).',
      );
    }
    process.env.ALLOWED_HOSTS = HOST;
    app = await createTestApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    session = await loginAs(app, 'user');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      ],
    });
    page = await browser.newPage({ baseURL: `http://${HOST}:${port}`, viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) problems.push(`console: ${message.text()}`);
    });
    await page.goto('/api/docs', { waitUntil: 'networkidle' });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('loads every asset and renders every API tag', async () => {
    expect(problems).toEqual([]);
    await page.locator('.opblock-tag').first().waitFor();
    const tags = await page.locator('.opblock-tag').evaluateAll((nodes) => nodes.map((node) => node.dataset.tag));
    expect(tags).toEqual(expect.arrayContaining([...API_TAGS]));
    expect(await page.locator('.info .title').innerText()).toContain('Evently API');
  });

  it('authorizes with a token and runs GET /api/user/auth/me/ from the page', async () => {
    await page.locator('.scheme-container button.authorize').click();
    // The dialog has a form per scheme (`token`, the apiKey, and `bearer`); the apiKey one takes the `Token` form.
    const tokenScheme = page.locator('.dialog-ux .modal-ux .auth-container', { hasText: '(apiKey)' });
    await tokenScheme.locator('input[type=text]').fill(`Token ${session.token}`);
    await tokenScheme.locator('button.authorize').click();
    await tokenScheme.locator('button.btn-done').click();
    await page.locator('.scheme-container button.authorize.locked').waitFor();
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toContain(
      session.token,
    );

    const me = page.locator('.opblock-get', { has: page.locator('[data-path="/api/user/auth/me"]') });
    await me.locator('.opblock-summary').click();
    await me.locator('button.try-out__btn').click();
    await me.locator('button.execute').click();

    const response = me.locator('.live-responses-table tbody .response');
    await response.filter({ hasText: session.user.username }).waitFor();
    // The cell may add "Undocumented": ts-jest compiles without the swagger CLI plugin that documents the 200.
    expect(await response.locator('.response-col_status').innerText()).toMatch(/^\s*200\b/);
    const body = JSON.parse(await response.locator('.response-col_description pre').first().innerText());
    expect(body).toMatchObject({ id: session.user.id, username: session.user.username, is_staff: false });
    expect(await me.locator('.curl-command').innerText()).toContain(`Authorization: Token ${session.token}`);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  });
});
