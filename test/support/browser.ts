import { existsSync } from 'node:fs';
import { afterAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's `chromium` (apt-get install chromium; .ci/run installs it), or ENGRAM_CHROMIUM. No browser is downloaded. */
export const CHROMIUM = process.env.ENGRAM_CHROMIUM ?? '/usr/bin/chromium';

// Headless, and quiet on a closed network: without these, Chromium keeps trying to reach Google's hosts.
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

let browser: Promise<Browser> | undefined;

afterAll(async () => {
  if (browser) await (await browser).close();
  browser = undefined;
});

/** One headless Chromium per test file. Fails, saying how to install it, when it is missing: a page test never skips. */
export function theBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set ENGRAM_CHROMIUM`);
  browser ??= chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  return browser;
}

/** What went wrong inside a page: uncaught errors, console errors (a CSP violation is one), failed requests. */
export type PageProblems = string[];

/** A fresh context (no storage shared with other tests) in UTC, and a page whose problems are collected. */
export async function openPage(options: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await (await theBrowser()).newContext({ timezoneId: 'UTC', locale: 'en-GB', viewport: options.viewport ?? { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: PageProblems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}
