/**
 * The local page in Chromium, on a store of realistic size (a script, not a test):
 *   npm run bench:ui                                   # 10,000 memories, 200 users, 20 runs
 *   npm run bench:ui -- --memories 50000 --users 1000 --runs 10
 *
 * Prints p50 / p95 in ms, per step a person takes, each measured from the
 * action to the moment its result is on screen: open the page (the scope
 * list), open a scope (its first 50 memories), search it (20 hits with their
 * signals), open a memory's history, save a correction (the timeline grown).
 * Browser steps include Playwright's own checks before each click (it waits
 * for the element to be stable: a few frames). Then the same reads over the
 * API alone, and the page's weight. Loopback, the generated test embedder (GloVe,
 * 100 dimensions), Debian's Chromium headless.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Memory } from '../src/index.js';
import { PAGE_DIR } from '../src/server/page-routes.js';
import { startServer } from '../src/server/start-server.js';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';
import { buildPage } from './build-ui.js';
import { launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { memories: { type: 'string', default: '10000' }, users: { type: 'string', default: '200' }, runs: { type: 'string', default: '20' } } });
const memories = Number(values.memories);
const users = Number(values.users);
const runs = Number(values.runs);
const TOKEN = 'bench-ui-token-0123456789abcdef';
const random = seededRandom(11);

await buildPage();
const memory = await Memory.open({ path: join(mkdtempSync(join(tmpdir(), 'engram-bench-ui-')), 'bench.db'), embedder: { model: join(root, 'models/test/embedding') }, llm: null });
const perUser = Math.ceil(memories / users);
const seedStart = performance.now();
for (let u = 0; u < users; u++) {
  for (let i = 0; i < perUser; i += 100) {
    const count = Math.min(100, perUser - i);
    await memory.add(
      Array.from({ length: count }, (_, j) => ({ role: 'user' as const, content: sentence(u * perUser + i + j, random) })),
      { userId: `user-${String(u).padStart(4, '0')}`, infer: false, metadata: { topic: ['health', 'diet', 'family', 'work'][u % 4] as string } },
    );
  }
}
const server = await startServer(memory, { port: 0, token: TOKEN });
console.log(`page bench: ${users} users × ${perUser} memories (${users * perUser}), ${runs} runs, seeded in ${fmt((performance.now() - seedStart) / 1000, 1)} s; Node ${process.version}`);

const weights = await Promise.all(['index.html', 'app.js', 'app.css'].map(async (file) => ({ file, bytes: statSync(join(PAGE_DIR, file)).size, gzip: gzipSync(await readFile(join(PAGE_DIR, file))).length })));
console.log(`page weight: ${weights.map((w) => `${w.file} ${fmt(w.bytes / 1024, 1)} KiB (${fmt(w.gzip / 1024, 1)} gzipped)`).join(', ')}; no other request but the API's`);

const browser = await launchChromium();
const steps: Record<string, number[]> = { 'open the page: the scope list': [], 'open a scope: its first 50 memories': [], 'search it: 20 hits with signals': [], "open a memory's history": [], 'save a correction: the timeline grown': [] };
const time = async (step: string, work: () => Promise<unknown>) => {
  const start = performance.now();
  await work();
  (steps[step] as number[]).push(performance.now() - start);
};
for (let run = 0; run < runs + 2; run++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const user = `user-${String((run * 37) % users).padStart(4, '0')}`;
  const measure = run >= 2 ? time : async (_step: string, work: () => Promise<unknown>) => work(); // two warm-up runs
  await measure('open the page: the scope list', async () => {
    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.locator('#scope-list button').first().waitFor();
  });
  // The scope list shows the most recently changed first; this user may be further down: open it through its button when shown, else through the first.
  const button = (await page.locator(`#scope-list button[data-id="${user}"]`).count()) > 0 ? page.locator(`#scope-list button[data-id="${user}"]`) : page.locator('#scope-list button').first();
  await measure('open a scope: its first 50 memories', async () => {
    await button.click();
    await page.locator('ol.memories > li').nth(Math.min(49, perUser - 1)).waitFor();
  });
  await page.getByLabel('Show why').check();
  await page.getByLabel('Search these memories').fill(sentence(run, random).split(' ').slice(0, 5).join(' '));
  await measure('search it: 20 hits with signals', async () => {
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#view-caption', { hasText: 'for “' }).waitFor();
  });
  const first = page.locator('ol.memories > li').first();
  await measure("open a memory's history", async () => {
    await first.getByRole('button', { name: 'History' }).click();
    await page.locator('#memory-panel ol.timeline > li').first().waitFor();
  });
  await first.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Text', { exact: true }).fill(`Corrected by hand in run ${run}.`);
  await measure('save a correction: the timeline grown', async () => {
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.locator('#memory-panel ol.timeline > li').nth(1).waitFor();
  });
  await context.close();
}
for (const [step, samples] of Object.entries(steps)) {
  console.log(`${step.padEnd(40)} p50 ${fmt(percentile(samples, 50)).padStart(8)} ms   p95 ${fmt(percentile(samples, 95)).padStart(8)} ms`);
}

// The same reads without the browser: what of each step is the server's.
const api = async (path: string, init: RequestInit = {}) => {
  const reply = await fetch(server.url + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  if (!reply.ok) throw new Error(`${path}: ${reply.status}`);
  return reply.json();
};
const calls: [string, (i: number) => Promise<unknown>][] = [
  ['API: GET /scopes?limit=50', () => api('/scopes?limit=50')],
  ['API: GET /memories (50 of one user)', (i) => api(`/memories?user_id=user-${String(i % users).padStart(4, '0')}&limit=50`)],
  ['API: POST /search (20, explain)', (i) => api('/search', { method: 'POST', body: JSON.stringify({ query: sentence(i, random).split(' ').slice(0, 5).join(' '), user_id: `user-${String(i % users).padStart(4, '0')}`, limit: 20, explain: true }) })],
];
for (const [name, call] of calls) {
  const samples: number[] = [];
  for (let i = 0; i < 100; i++) {
    const start = performance.now();
    await call(i);
    if (i >= 10) samples.push(performance.now() - start);
  }
  console.log(`${name.padEnd(40)} p50 ${fmt(percentile(samples, 50)).padStart(8)} ms   p95 ${fmt(percentile(samples, 95)).padStart(8)} ms`);
}
await browser.close();
await server.close();
await memory.close();
