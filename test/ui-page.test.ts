import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Memory } from 'engram-memory';
import { openPage, type PageProblems } from './support/browser.js';
import { graphStoryLlm, seedGraphStory } from './support/graph-story.js';
import { startTestServer } from './support/rest-server.js';
import { openTestMemory, tempDir } from './support/test-memory.js';

// The local page in a real headless Chromium (Debian's package), against a real server over a real store.

const TOKEN = 'page-test-token-0123456789abcdef';
const HOSTILE = '<img src=x onerror="window.__pwned = 1"> likes <b>bold</b> claims';
/** Where the README's screenshots come from: `npm run screenshots` sets it; otherwise a temp folder. */
const SHOTS = process.env.ENGRAM_SCREENSHOTS;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function seed(memory: Memory): Promise<void> {
  await memory.add('Alice drinks her coffee black, no sugar.', { userId: 'alice', infer: false, metadata: { topic: 'diet' } });
  await memory.add('Alice is allergic to penicillin.', { userId: 'alice', infer: false, metadata: { topic: 'health', severity: 'high' } });
  await memory.add('Alice walks her dog Rex every morning.', { userId: 'alice', agentId: 'companion', infer: false });
  await memory.add(HOSTILE, { userId: 'alice', infer: false });
  await memory.add("Bob's passport number is X1234567 and he drinks coffee with milk.", { userId: 'bob', infer: false });
}

async function openUi(options: { token?: string; viewport?: { width: number; height: number }; bypassCSP?: boolean } = {}) {
  const { memory, server } = await startTestServer({ server: { token: TOKEN } });
  await seed(memory);
  const { context, page, problems } = await openPage({ viewport: options.viewport, bypassCSP: options.bypassCSP });
  closers.push(() => context.close());
  await page.goto(`${server.url}/#token=${encodeURIComponent(options.token ?? TOKEN)}`);
  return { memory, server, page, problems };
}

async function openScope(page: Page, id: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: new RegExp(`\\b${id}\\b`) }).click();
  await expect.poll(() => page.locator('#scope-title').textContent()).toContain(id);
  await page.locator('ol.memories > li').first().waitFor();
}

const card = (page: Page, text: string) => page.locator('ol.memories > li').filter({ hasText: text });

/** Problems other than the API's own error answers (a test that provokes one expects its console line). */
const unexpected = (problems: PageProblems) => problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|401|404|409)/.test(p));

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  const dir = SHOTS ?? tempDir();
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage });
}

describe('the local page, in Chromium', () => {
  it('lists scopes with counts, shows one scope newest first, and never shows another user’s memories; data is text, never HTML', async () => {
    const { page, problems } = await openUi();
    // The token came in the fragment and left the address bar.
    await expect.poll(() => page.url()).not.toContain('token');
    const nav = page.getByRole('navigation');
    await expect.poll(() => nav.getByRole('button', { name: /alice/ }).textContent()).toMatch(/4 memories/);
    expect(await nav.getByRole('button', { name: /bob/ }).textContent()).toMatch(/1 memory/);
    await openScope(page, 'alice');
    const texts = await page.locator('ol.memories .memory-text').allTextContents();
    expect(texts).toEqual([HOSTILE, 'Alice walks her dog Rex every morning.', 'Alice is allergic to penicillin.', 'Alice drinks her coffee black, no sugar.']);
    // The hostile memory shows as the characters it holds: no element was made of it, nothing ran.
    expect(await page.locator('ol.memories img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    // Kind, dates, metadata and the scope line are on the card.
    const allergy = card(page, 'penicillin');
    expect(await allergy.textContent()).toMatch(/semantic.*added/);
    expect(await allergy.locator('dl.metadata').textContent()).toBe('topichealthseverityhigh');
    expect(await card(page, 'Rex').textContent()).toContain('agent companion');
    // Bob is in the file, and nowhere on alice's page: not in the list, not in a search for his own words.
    const body = () => page.locator('main').textContent();
    expect(await body()).not.toContain('X1234567');
    await page.getByLabel('Search these memories').fill('passport number, coffee with milk');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('#view-caption').textContent()).toMatch(/results? for/);
    expect(await body()).not.toContain('X1234567');
    expect(await page.locator('ol.memories .memory-text').allTextContents()).not.toContain(expect.stringContaining('Bob'));
    await shoot(page, 'ui-scope');
    expect(unexpected(problems)).toEqual([]);
  });

  it('searches with scores, and shows the signals behind a score on demand', async () => {
    const { page, problems } = await openUi();
    await openScope(page, 'alice');
    await page.getByLabel('Search these memories').fill('coffee');
    await page.getByLabel('Show why').check();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('#view-caption').textContent()).toMatch(/for “coffee”/);
    const first = page.locator('ol.memories > li').first();
    expect(await first.locator('.memory-text').textContent()).toBe('Alice drinks her coffee black, no sugar.');
    const scoreText = (await first.locator('.score').textContent()) ?? '';
    expect(scoreText).toMatch(/^score (0|1)\.\d\d$/);
    await first.getByText('Why this score').click();
    const signals = await first.locator('.signals tbody tr').allTextContents();
    expect(signals.some((row) => row.startsWith('meaning (vector)'))).toBe(true);
    expect(signals.some((row) => row.startsWith('words (keyword)'))).toBe(true);
    await shoot(page, 'ui-search');
    expect(unexpected(problems)).toEqual([]);
  });

  it('edits a memory as a new version made by a person; the history grows; the past stays readable with asOf', async () => {
    const { memory, page, problems } = await openUi();
    await openScope(page, 'alice');
    // A second boundary between the seed and the edit, so a point in time can sit between them.
    const boundary = Math.ceil(Date.now() / 1000) * 1000;
    await new Promise((resolve) => setTimeout(resolve, boundary - Date.now() + 300));
    await card(page, 'coffee').getByRole('button', { name: 'Edit' }).click();
    const text = page.getByLabel('Text', { exact: true });
    await expect.poll(() => text.evaluate((el) => el === document.activeElement)).toBe(true);
    await text.fill('Alice drinks her coffee with oat milk now.');
    await page.getByLabel('Metadata (a JSON object)').fill('{"topic": "diet", "changed": "by hand"}');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Saved as version 2/);
    const timeline = page.locator('#memory-panel ol.timeline > li');
    await expect.poll(() => timeline.count()).toBe(2);
    expect(await timeline.nth(0).textContent()).toMatch(/^Added by a program \(API\)/);
    expect(await timeline.nth(1).textContent()).toMatch(/^Changed by a person/);
    expect(await timeline.nth(1).locator('del').textContent()).toBe('Alice drinks her coffee black, no sugar.');
    expect(await timeline.nth(1).locator('ins').textContent()).toBe('Alice drinks her coffee with oat milk now.');
    // The memory was stored from one message; the panel shows it.
    expect(await page.locator('#memory-panel ol.sources').textContent()).toContain('Alice drinks her coffee black, no sugar.');
    await expect.poll(() => card(page, 'oat milk').count()).toBe(1);
    await shoot(page, 'ui-history');
    // What the server holds: version 2, by a person, with the new metadata.
    const id = (await memory.getAll({ userId: 'alice' })).results.find((m) => m.memory.includes('oat milk'))?.id as string;
    const history = await memory.history(id, { userId: 'alice' });
    expect(history.map((h) => [h.event, h.actor])).toEqual([
      ['ADD', 'api'],
      ['UPDATE', 'user'],
    ]);
    expect((await memory.get(id))?.metadata).toEqual({ topic: 'diet', changed: 'by hand' });

    // The point-in-time view: before the edit, the old text; read only.
    await page.getByLabel('As they were on').fill(new Date(boundary).toISOString().slice(0, 19));
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => page.locator('#view-caption').textContent()).toMatch(/As they were at/);
    expect(await page.locator('ol.memories .memory-text').allTextContents()).toContain('Alice drinks her coffee black, no sugar.');
    expect(await page.locator('ol.memories').getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Now', exact: true }).click();
    await expect.poll(() => page.locator('ol.memories .memory-text').allTextContents()).toContain('Alice drinks her coffee with oat milk now.');
    expect(unexpected(problems)).toEqual([]);
  });

  it('refuses bad edits with readable errors and changes nothing: metadata that is not JSON, a text another memory already says', async () => {
    const { memory, page, problems } = await openUi();
    await openScope(page, 'alice');
    const before = JSON.stringify((await memory.getAll({ userId: 'alice' })).results);
    await card(page, 'coffee').getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Metadata (a JSON object)').fill('{topic: diet');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.locator('#edit-problem').textContent()).toMatch(/not JSON/);
    await page.getByLabel('Metadata (a JSON object)').fill('{}');
    await page.getByLabel('Text', { exact: true }).fill('Alice is allergic to penicillin.');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/already says this.*\(INVALID_INPUT\)/);
    expect(JSON.stringify((await memory.getAll({ userId: 'alice' })).results)).toBe(before);
    expect(unexpected(problems)).toEqual([]);
  });

  it('never overwrites a change it did not show: the model edits while the person does, and the person is told', async () => {
    const { memory, page, problems } = await openUi();
    await openScope(page, 'alice');
    const id = (await memory.getAll({ userId: 'alice' })).results.find((m) => m.memory.includes('penicillin'))?.id as string;
    await card(page, 'penicillin').getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Text', { exact: true }).fill('Alice was allergic to penicillin as a child.');
    await memory.update(id, 'Alice is allergic to penicillin and amoxicillin.');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/changed since version 1.*\(CONFLICT\)/);
    expect(await memory.get(id)).toMatchObject({ version: 2, memory: 'Alice is allergic to penicillin and amoxicillin.' });
    // The list shows what changed, and the message stays until dismissed.
    await expect.poll(() => card(page, 'amoxicillin').count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toMatch(/CONFLICT/);
    // Deleting from the list as it was before another change: refused too.
    await memory.update(id, 'Alice is allergic to penicillin, amoxicillin and sulfa drugs.');
    await card(page, 'amoxicillin').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => card(page, 'sulfa').count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toMatch(/changed since version 2.*\(CONFLICT\)/);
    expect((await memory.get(id))?.version).toBe(3);
    expect(unexpected(problems)).toEqual([]);
  });

  it('deletes a memory after asking; it leaves the list and its history stays', async () => {
    const { memory, page, problems } = await openUi();
    await openScope(page, 'alice');
    const rexId = (await memory.getAll({ userId: 'alice' })).results.find((m) => m.memory.includes('Rex'))?.id as string;
    await card(page, 'Rex').getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Alice walks her dog Rex every morning.');
    // Escape cancels: nothing is deleted.
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await memory.getAll({ userId: 'alice' })).results).toHaveLength(4);
    await card(page, 'Rex').getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => card(page, 'Rex').count()).toBe(0);
    // The scope list counts again: one memory fewer.
    await expect.poll(() => page.getByRole('navigation').getByRole('button', { name: /alice/ }).textContent()).toMatch(/3 memories/);
    await expect.poll(() => page.locator('#scope-summary').textContent()).toMatch(/^3 current memories/);
    // No live updates: what the model adds meanwhile appears on Reload.
    await memory.add('Alice booked a flight to Porto for June.', { userId: 'alice', infer: false });
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => card(page, 'Porto').count()).toBe(1);
    await expect.poll(() => page.locator('#scope-summary').textContent()).toMatch(/^4 current memories/);
    const all = await memory.getAll({ userId: 'alice' });
    expect(all.results.map((m) => m.memory)).not.toContain('Alice walks her dog Rex every morning.');
    expect((await memory.history(rexId)).map((h) => [h.event, h.actor])).toEqual([
      ['ADD', 'api'],
      ['DELETE', 'user'],
    ]);
    expect(unexpected(problems)).toEqual([]);
  });

  it('exports a scope: only its records, a file that imports into another store', async () => {
    const { page, problems } = await openUi();
    await openScope(page, 'alice');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^engram-user-alice-\d{4}-\d\d-\d\d\.jsonl$/);
    const lines = readFileSync((await download.path()) as string, 'utf8').trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as { type: string; userId?: string; memory?: string; content?: string });
    expect(records[0]?.type).toBe('engram');
    expect(records.filter((r) => r.type === 'memory')).toHaveLength(4);
    expect(records.slice(1).every((r) => r.userId === 'alice')).toBe(true);
    expect(lines.join('\n')).not.toContain('X1234567');
    const other = await openTestMemory();
    const imported = await other.import(lines);
    expect(imported.memories.added).toBe(4);
    expect((await other.getAll({ userId: 'alice' })).results).toHaveLength(4);
    expect((await other.getAll({ userId: 'bob' })).results).toHaveLength(0);
    expect(unexpected(problems)).toEqual([]);
  });

  it('forgets a scope only after its id is typed; everything of it is erased, other users keep theirs', async () => {
    const { memory, page, problems } = await openUi();
    await openScope(page, 'alice');
    const anId = (await memory.getAll({ userId: 'alice' })).results[0]?.id as string;
    await page.getByRole('button', { name: 'Forget…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toMatch(/Forget user alice for good\?.*4 current memories.*cannot be undone/s);
    const forget = dialog.getByRole('button', { name: 'Forget for good' });
    expect(await forget.isDisabled()).toBe(true);
    await dialog.getByLabel('Type alice to confirm').fill('alic');
    expect(await forget.isDisabled()).toBe(true);
    await shoot(page, 'ui-forget', false);
    await dialog.getByLabel('Type alice to confirm').fill('alice');
    await forget.click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Forgot user alice: 4 memories, 4 messages/);
    await expect.poll(() => page.getByRole('navigation').getByRole('button', { name: /alice/ }).count()).toBe(0);
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    await expect(memory.history(anId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await memory.getAll({ userId: 'bob' })).results).toHaveLength(1);
    expect(unexpected(problems)).toEqual([]);
  });

  it('shows the entity graph as it is now, and the queue: counts, and a waiting add cancelled', async () => {
    const { memory, server } = await startTestServer({ memory: { graph: true, llm: graphStoryLlm(), queue: { worker: false } } });
    await seedGraphStory(memory);
    await memory.add('I started learning the cello.', { userId: 'alice', wait: false });
    const { context, page, problems } = await openPage();
    closers.push(() => context.close());
    await page.goto(`${server.url}/`);
    await openScope(page, 'alice');
    await page.getByText('Entities and relations').click();
    const graph = page.locator('#graph-section');
    await expect.poll(() => graph.locator('ul.relations li').allTextContents()).toContain('Anna — lives in → Porto since 10 Jan 2025, 10:00');
    const relations = await graph.locator('ul.relations li').allTextContents();
    expect(relations.some((r) => r.includes('works at → Beta Labs'))).toBe(true);
    // The Acme job ended when she moved: it is not a current relation.
    expect(relations.some((r) => r.includes('works at → Acme'))).toBe(false);
    expect(await graph.locator('ul.entities').textContent()).toContain('Anna');
    await page.getByText('Extraction queue').click();
    const queue = page.locator('#queue-section');
    await expect.poll(() => queue.locator('p').first().textContent()).toBe('1 queued · 2 done');
    await queue.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => queue.locator('p').first().textContent()).toBe('2 done · 1 cancelled');
    expect((await memory.jobs({ userId: 'alice' })).counts).toMatchObject({ queued: 0, cancelled: 1 });
    expect(unexpected(problems)).toEqual([]);
  });

  it('asks for the token when it has none or a wrong one, and opens with the right one', async () => {
    const { page } = await openUi({ token: 'wrong-token-0123456789abcdef' });
    const form = page.locator('#token-form');
    await form.waitFor({ state: 'visible' });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/the token is wrong \(UNAUTHORIZED\)/);
    expect(await page.getByRole('navigation').getByRole('button', { name: /alice/ }).count()).toBe(0);
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.getByRole('navigation').getByRole('button', { name: /alice/ }).count()).toBe(1);
    expect(await form.isHidden()).toBe(true);
  });

  it('is usable with the keyboard alone, and every field has a label', async () => {
    const { page, problems } = await openUi();
    await page.getByRole('navigation').getByRole('button', { name: /alice/ }).waitFor();
    // Tab from the top: the skip link, then the first scope; Enter opens it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the memories');
    let guard = 0;
    while (!((await page.evaluate(() => document.activeElement?.closest('nav') !== null)) || guard++ > 10)) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#scope-title').textContent()).toMatch(/user (alice|bob)/);
    await page.locator('ol.memories > li').first().waitFor();
    // The forget dialog takes focus, Escape closes it and focus returns.
    await page.getByRole('button', { name: 'Forget…' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('confirm-typed');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Forget…');
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, textarea, select')]
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    const nameless = await page.evaluate(() => [...document.querySelectorAll('button')].filter((b) => (b.textContent ?? '').trim() === '' && !b.getAttribute('aria-label')).length);
    expect(nameless).toBe(0);
    expect(unexpected(problems)).toEqual([]);
  });

  it('passes axe-core’s accessibility checks (WCAG 2 A and AA): the scope, a search, a history, a dialog', async () => {
    const { page, problems } = await openUi({ bypassCSP: true });
    await page.getByRole('navigation').getByRole('button', { name: /alice/ }).waitFor();
    await page.addScriptTag({ content: readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
    const audit = async (where: string) => {
      const result = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
        const { violations } = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      expect(result, where).toEqual([]);
    };
    await audit('the scope list');
    await openScope(page, 'alice');
    await page.getByLabel('Search these memories').fill('coffee');
    await page.getByLabel('Show why').check();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('#view-caption').textContent()).toMatch(/for “coffee”/);
    await page.locator('ol.memories > li').first().getByText('Why this score').click();
    await audit('a search with its signals');
    await card(page, 'penicillin').getByRole('button', { name: 'Edit' }).click();
    await audit('a memory with its history and the edit form');
    await page.getByRole('button', { name: 'Forget…' }).click();
    await audit('the forget dialog');
    expect(unexpected(problems)).toEqual([]);
  });

  it('fits a phone-sized window without sideways scrolling', async () => {
    const { page, problems } = await openUi({ viewport: { width: 390, height: 844 } });
    await openScope(page, 'alice');
    await card(page, 'penicillin').getByRole('button', { name: 'History' }).click();
    await page.locator('#memory-panel ol.timeline > li').first().waitFor();
    // The panel sits above the list on a phone; focus moved to it, so it is in view.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('memory-panel');
    expect(await page.locator('#memory-panel').isVisible()).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'ui-phone');
    expect(unexpected(problems)).toEqual([]);
  });

  it('a web page of another origin cannot use the API of a server without a token, even from another loopback port', async () => {
    const { memory, server } = await startTestServer();
    await seed(memory);
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><script>
        const target = ${JSON.stringify(server.url)};
        Promise.allSettled([
          fetch(target + '/memories?user_id=bob').then((r) => r.text()),
          fetch(target + '/memories', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ messages: 'planted', user_id: 'bob', infer: false }) }).then((r) => r.status),
        ]).then((results) => { document.title = JSON.stringify(results.map((r) => r.status === 'fulfilled' ? r.value : 'blocked')); });
      </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => evil.close(() => resolve())));
    const { context, page } = await openPage();
    closers.push(() => context.close());
    await page.goto(`http://127.0.0.1:${(evil.address() as { port: number }).port}/`);
    await expect.poll(() => page.title()).toMatch(/^\[/);
    const [read, write] = JSON.parse(await page.title()) as [unknown, unknown];
    expect(read).toBe('blocked');
    // The planted add reached the server and was refused there (403): nothing was stored.
    expect(write === 403 || write === 'blocked').toBe(true);
    expect((await memory.getAll({ userId: 'bob' })).results.map((m) => m.memory)).not.toContain('planted');
  });
});
