import { afterAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium.js';

let browser: Promise<Browser> | undefined;

afterAll(async () => {
  if (browser) await (await browser).close();
  browser = undefined;
});

/** One headless Chromium per test file. Fails, saying how to install it, when it is missing: a page test never skips. */
export function theBrowser(): Promise<Browser> {
  browser ??= launchChromium();
  return browser;
}

/** What went wrong inside a page: uncaught errors, console errors (a CSP violation is one), failed requests. */
export type PageProblems = string[];

/** A fresh context (no storage shared with other tests) in UTC, and a page whose problems are collected. */
export async function openPage(
  options: { viewport?: { width: number; height: number }; /** Lets a test inject a checker (axe) that the page's CSP would refuse. */ bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await (await theBrowser()).newContext({
    timezoneId: 'UTC',
    locale: 'en-GB',
    viewport: options.viewport ?? { width: 1280, height: 860 },
    acceptDownloads: true,
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = await context.newPage();
  const problems: PageProblems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}
