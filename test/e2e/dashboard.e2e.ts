import fs from 'node:fs';
import path from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';
import { DEMO_ACCOUNTS, loadDemoData } from '../../src/analytics/demo-data';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(__dirname, 'artifacts', 'dashboard.png');

let app: TestApp;
let browser: Browser;
beforeAll(async () => {
  app = await startTestApp();
  await loadDemoData(app.dataSource, app.server.services.auth);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('/dashboard', () => {
  it('shows an analyst the provincial totals, the funnel, regions and months', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const origin = app.url.replace('/graphql', '');
    await page.goto(`${origin}/dashboard/`);
    const analyst = DEMO_ACCOUNTS.find((a) => a.role === 'ANALYST')!;
    await page.fill('#email', analyst.email);
    await page.fill('#password', analyst.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]', { timeout: 30_000 });
    const tiles = await page.textContent('#tiles');
    expect(tiles).toContain('11,133');
    expect(tiles).toContain('472,328,000,000.00');
    expect(tiles).toContain('23,097,000,000.00');
    expect(tiles).toContain('874,000,000.00');
    // Headlines in 亿元, the exact yuan underneath; the funnel's rates as percentages.
    const headlines = await page.locator('#tiles .value').allTextContents();
    expect(headlines).toEqual(expect.arrayContaining(['4,723.28 亿元', '230.97 亿元', '8.74 亿元']));
    expect(await page.textContent('#funnel')).toMatch(/Applied.*\(\d{1,3}\.\d\d%\)/s);
    expect(await page.textContent('#funnel')).not.toMatch(/\(0\.\d{4}\)/);
    expect(await page.locator('#funnel rect').count()).toBe(5);
    expect(await page.locator('#regions rect').count()).toBe(13);
    expect(await page.textContent('#regions')).toContain('哈尔滨市');
    expect(await page.locator('#months rect').count()).toBeGreaterThanOrEqual(11);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

    // A wrong password is told plainly, and no figures are shown.
    const other = await browser.newPage();
    await other.goto(`${origin}/dashboard/`);
    await other.fill('#email', analyst.email);
    await other.fill('#password', 'wrong password!');
    await other.click('button[type=submit]');
    // A locator waits in Playwright's own world: the page's CSP (no eval) holds for the test too.
    await other.locator('#login-error').filter({ hasText: /\S/ }).waitFor();
    expect(await other.textContent('#login-error')).toBe('The email or password is not correct');
    expect(await other.isHidden('#stats-panel')).toBe(true);
  });
});
