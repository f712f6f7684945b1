// Debian's Chromium, headless, for the page tests and the page bench: no browser is ever downloaded.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** `apt-get install chromium` puts it here (.ci/run does); ENGRAM_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.ENGRAM_CHROMIUM ?? '/usr/bin/chromium';

// Headless, and quiet on a closed network: without these, Chromium keeps trying to reach Google's hosts.
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Starts Chromium; fails saying how to install it when it is missing. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set ENGRAM_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}
