import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

/**
 * Page tests drive Debian's Chromium through playwright-core (Playwright's own browser download
 * cannot run here). The flags keep Chromium from reaching for a network it does not have.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const quietFlags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: [...quietFlags, ...extraArgs], timeout: 60_000 });
}

/** A Chromium whose camera is a video file (the counter's scanner reads it as a real camera). */
export function launchBrowserWithCamera(videoFile: string): Promise<Browser> {
  return launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${videoFile}`]);
}

/** The phone every page is designed for: 390 × 844, touch, Chinese first. */
export const phone = { width: 390, height: 844 } as const;

export async function newPhone(browser: Browser, options: { locale?: string; headers?: Record<string, string>; camera?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: phone,
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: options.locale ?? 'zh-CN',
    ...(options.headers ? { extraHTTPHeaders: options.headers } : {}),
    ...(options.camera ? { permissions: ['camera'] } : {}),
  });
  context.setDefaultTimeout(20_000);
  return context;
}

/**
 * Everything a page says went wrong in the browser: console errors (a refused inline script or
 * style shows up here as a Content-Security-Policy violation) and uncaught exceptions. A test ends
 * by expecting this list empty.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.1 A and AA rules and best practices) on the page as it is now and fails on
 * any serious or critical violation, naming the rule and the elements. axe is evaluated through the
 * DevTools protocol, so the page's strict Content-Security-Policy stays on.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 5) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `axe-core on ${what}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

const screenshotDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');

/** With SCREENSHOTS=1, keeps what the page looks like (390 × 844) in docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: false, animations: 'disabled' });
}

/** A browser context acting with an access token, as the API's clients do (the pages take the same credentials). */
export async function phoneWithToken(browser: Browser, app: TestApp, role: 'volunteer' | 'merchant' | 'organiser' | 'admin', sub: string, options: { locale?: string; camera?: boolean } = {}) {
  return newPhone(browser, { ...options, headers: { authorization: `Bearer ${await app.token(role, sub)}` } });
}

/** A port nobody is listening on now, so a test app can be told its own public address before it starts. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Settings for a page test's app: it listens where its PUBLIC_URL says, so every link it hands out works. */
export async function pageAppEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const port = await freePort();
  return { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...extra };
}

/**
 * Signs a person in the way people are: an admin asks the API for a sign-in link
 * (POST /v1/sign-in-codes), and the browser opens it. Resolves once the person's home page (or
 * `landing`) has loaded.
 */
export async function signInWithLink(page: Page, app: TestApp, adminToken: string, who: { role: 'volunteer' | 'merchant' | 'organiser' | 'admin'; principalId: string }, landing?: string): Promise<void> {
  const res = await app.request('POST', '/v1/sign-in-codes', { token: adminToken, body: who });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.url.startsWith(`${app.baseUrl}/app/sign-in?code=`), res.body.url).toBe(true);
  const home = landing ?? { volunteer: '/app/wallet', merchant: '/app/counter', organiser: '/app/desk', admin: '/app/office' }[who.role];
  await page.goto(res.body.url);
  await page.waitForURL(`${app.baseUrl}${home}`);
}

/**
 * A video file for Chromium's fake camera showing `text` as a QR code: the same QR the wallet
 * draws (the qrcode package, error correction M), black on white, as Y4M (4:2:0, a few frames;
 * Chromium plays it in a loop).
 */
export async function qrVideo(text: string, file: string): Promise<string> {
  const QRCode = (await import('qrcode')).default;
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const width = 640;
  const height = 480;
  const quiet = 4;
  const scale = Math.floor((height - 20) / (modules.size + 2 * quiet));
  const side = scale * (modules.size + 2 * quiet);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  const luma = Buffer.alloc(width * height, 235);
  for (let row = 0; row < modules.size; row += 1) {
    for (let col = 0; col < modules.size; col += 1) {
      if (!modules.get(row, col)) continue;
      for (let y = 0; y < scale; y += 1) {
        const offset = (top + (row + quiet) * scale + y) * width + left + (col + quiet) * scale;
        luma.fill(16, offset, offset + scale);
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: 5 }, () => frame)]));
  return file;
}

/** Bytes a page load moved over the wire (compressed bodies plus headers), from the moment this is called. */
export function countBytes(page: Page): { total: () => Promise<number>; byUrl: Map<string, number> } {
  const byUrl = new Map<string, number>();
  const pending: Promise<void>[] = [];
  page.on('requestfinished', (request) => {
    pending.push(request.sizes().then((sizes) => void byUrl.set(request.url(), (byUrl.get(request.url()) ?? 0) + sizes.responseBodySize + sizes.responseHeadersSize)));
  });
  return {
    byUrl,
    total: async () => {
      await Promise.all(pending);
      return [...byUrl.values()].reduce((a, b) => a + b, 0);
    },
  };
}
