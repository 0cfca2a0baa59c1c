import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Browser, chromium, Page } from 'playwright-core';

import { loginAs, TEST_PASSWORD } from '@evently/testing';

import { createTestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
// Not a loopback name, so Chromium applies the rules a deployed plain-http site gets (see swagger.browser-spec.ts).
const HOST = 'evently.test';
const SCREENSHOT = join(__dirname, '..', 'artifacts', 'queue-dashboard.png');

describe('the queue dashboard in Chromium', () => {
  let app: NestFastifyApplication | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`The browser test drives Debian's Chromium at ${CHROMIUM}, which is missing.`);
    process.env.ALLOWED_HOSTS = HOST;
    app = await createTestApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
    });
    page = await browser.newPage({ baseURL: `http://${HOST}:${port}` });
    page.setDefaultTimeout(15_000);
    // Bull Board links a Google Fonts stylesheet; offline test machines cannot reach it, and it is not ours.
    await page.route(/fonts\.(googleapis|gstatic)\.com/, (route) => route.abort());
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (req) => {
      if (!/fonts\.(googleapis|gstatic)\.com/.test(req.url())) problems.push(`request failed: ${req.url()}`);
    });
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) problems.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('sends a visitor to the login form, logs staff in and lists the bookings and mail queues', async () => {
    const staff = await loginAs(app!, 'staff');
    await page.goto('/api/admin/queues/');
    expect(new URL(page.url()).pathname).toBe('/api/admin/queues/login');

    await page.locator('input[name=username]').fill(staff.user.username);
    await page.locator('input[name=password]').fill(TEST_PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(/\/api\/admin\/queues\/$/);

    await page.getByText('bookings', { exact: true }).first().waitFor();
    await page.getByText('mail', { exact: true }).first().waitFor();
    await page.getByText('bookings', { exact: true }).first().click();
    await page.waitForURL(/\/queue\/bookings/);
    await page
      .getByText(/completed/i)
      .first()
      .waitFor();
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  });
});
