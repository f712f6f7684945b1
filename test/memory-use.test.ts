import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { collect } from './support/collect.js';
import { expectError, startTestServer } from './support/rest-server.js';
import { openSharedTestMemories } from './support/test-memory.js';

// Decay by use: with the policy's trackAccess, what a search returns is marked used (after the answer), and
// search({ recency: { from: 'access' } }) counts a memory's age from its last use or change, whichever is later.

const YEAR_AGO = new Date(Date.now() - 365 * 86_400_000).toISOString();
const BY_USE = { halfLifeDays: 30, weight: 0.5, from: 'access' as const };

/** Two memories said a year ago, alike for the query "commute to work"; their ids. */
async function twoOldCommutes(memory: Memory): Promise<{ bus: string; train: string }> {
  const add = async (content: string) => (await memory.add([{ role: 'user', content, createdAt: YEAR_AGO }], { userId: 'ana', infer: false })).results[0]!.id;
  return { bus: await add('Ana takes the bus for her commute to work'), train: await add('Ana takes the train for her commute to work') };
}

/** The recency signal of each result of a search favouring use. */
async function recencyById(memory: Memory, options: Record<string, unknown> = {}): Promise<Map<string, number>> {
  const { results } = await memory.search('commute to work', { userId: 'ana', recency: BY_USE, explain: true, ...options });
  return new Map(results.map((r) => [r.id, r.signals?.recency ?? Number.NaN]));
}

describe('decay by use (policy trackAccess, recency from access)', () => {
  it('a memory a search returned ranks as fresh; one never returned keeps the age of its last change; a use is not a change', async () => {
    const [searcher, reader] = (await openSharedTestMemories(2, { llm: null })) as [Memory, Memory];
    await searcher.setPolicy({ trackAccess: true });
    const { bus, train } = await twoOldCommutes(searcher);
    const before = { item: await searcher.get(bus), history: await searcher.history(bus) };
    const exportedBefore = await collect(searcher.export({ scope: { userId: 'ana' } }));
    const usedAt = Date.now();
    const { results } = await searcher.search('bus', { userId: 'ana', limit: 1, mode: 'keyword' });
    expect(results.map((r) => r.id)).toEqual([bus]);
    // close() waits for the use to be written; another connection reads it.
    await searcher.close();

    // One search: it marks both used in turn.
    const { results: ranked } = await reader.search('commute to work', { userId: 'ana', recency: BY_USE, explain: true });
    expect(ranked.map((r) => r.id)).toEqual([bus, train]);
    expect(ranked[0]!.signals?.recency).toBeGreaterThan(0.99);
    expect(ranked[1]!.signals?.recency).toBeLessThan(0.001);
    // Counted from change (the default), both are a year old.
    const byChange = (await reader.search('commute to work', { userId: 'ana', recency: { halfLifeDays: 30, weight: 0.5 }, explain: true })).results;
    expect(byChange.map((r) => r.signals?.recency).every((r) => r! < 0.001)).toBe(true);
    // Not a change: the same version, the same history, and an export without it.
    expect({ item: await reader.get(bus), history: await reader.history(bus) }).toEqual(before);
    const exportedAfter = await collect(reader.export({ scope: { userId: 'ana' } }));
    expect(exportedAfter.filter((r) => r.type !== 'engram')).toEqual(exportedBefore.filter((r) => r.type !== 'engram'));
    expect(Date.parse((await reader.get(bus))!.updatedAt)).toBeLessThan(usedAt);
  });

  it('records nothing without the policy, and nothing for a search into the past', async () => {
    const [searcher, reader] = (await openSharedTestMemories(2, { llm: null })) as [Memory, Memory];
    const { bus } = await twoOldCommutes(searcher);
    await searcher.search('bus', { userId: 'ana', limit: 1, mode: 'keyword' });
    await searcher.setPolicy({ trackAccess: true });
    await searcher.search('bus', { userId: 'ana', limit: 1, mode: 'keyword', asOf: new Date() });
    await searcher.close();
    const recency = await recencyById(reader);
    expect(recency.get(bus)).toBeLessThan(0.001);
  });

  it('a policy set in this process applies from the next search, even right after searches that marked nothing', async () => {
    const [searcher, reader] = (await openSharedTestMemories(2, { llm: null })) as [Memory, Memory];
    const { bus } = await twoOldCommutes(searcher);
    await searcher.search('bus', { userId: 'ana', limit: 1, mode: 'keyword' });
    await searcher.setPolicy({ trackAccess: true });
    await searcher.search('bus', { userId: 'ana', limit: 1, mode: 'keyword' });
    await searcher.close();
    expect((await recencyById(reader)).get(bus)).toBeGreaterThan(0.99);
  });

  it('a read into the past ignores a use after it', async () => {
    const [searcher, reader] = (await openSharedTestMemories(2, { llm: null })) as [Memory, Memory];
    await searcher.setPolicy({ trackAccess: true });
    const { bus } = await twoOldCommutes(searcher);
    const beforeUse = new Date();
    await searcher.search('bus', { userId: 'ana', limit: 1, mode: 'keyword' });
    await searcher.close();
    expect((await recencyById(reader)).get(bus)).toBeGreaterThan(0.99);
    expect((await recencyById(reader, { asOf: beforeUse })).get(bus)).toBeLessThan(0.001);
  });

  it('many searches at once all land before close returns', async () => {
    const [searcher, reader] = (await openSharedTestMemories(2, { llm: null })) as [Memory, Memory];
    await searcher.setPolicy({ trackAccess: true });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await searcher.add(`Ana keeps note number ${i} about gardening`, { userId: 'ana', infer: false })).results[0]!.id);
    await Promise.all(ids.map((_, i) => searcher.search(`number ${i}`, { userId: 'ana', limit: 1, mode: 'keyword' })));
    await searcher.close();
    const fresh = await reader.search('gardening', { userId: 'ana', limit: 20, recency: BY_USE, explain: true });
    expect(fresh.results).toHaveLength(12);
    expect(fresh.results.every((r) => r.signals!.recency! > 0.99)).toBe(true);
  });
});

describe('decay by use, racing a writer', () => {
  it('searches marking a memory used while another connection updates and deletes it: every change lands, the store verifies', async () => {
    const [searcher, writer] = (await openSharedTestMemories(2, { llm: null })) as [Memory, Memory];
    await searcher.setPolicy({ trackAccess: true });
    const id = (await writer.add('Ana waters the garden on Sunday', { userId: 'ana', infer: false })).results[0]!.id;
    const searching = (async () => {
      for (let i = 0; i < 30; i++) await searcher.search('garden', { userId: 'ana', mode: 'keyword' });
    })();
    for (let i = 1; i <= 10; i++) await writer.update(id, `Ana waters the garden on day ${i}`, { userId: 'ana' });
    await searching;
    await searcher.close();
    expect((await writer.get(id))?.memory).toBe('Ana waters the garden on day 10');
    expect((await writer.history(id)).filter((h) => h.event === 'UPDATE')).toHaveLength(10);
    await writer.delete(id, { userId: 'ana' });
    expect(await writer.verify()).toEqual({ ok: true, problems: [] });
  });
});

describe('decay by use over REST', () => {
  it('PUT /policy takes track_access, and POST /search recency takes from: "access"', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    // Every key the README lists for PUT /policy is taken.
    const every = await api.put('/policy', { instructions: 'Keep health facts.', includes: ['health'], excludes: ['moods'], deny: ['email'], categories: true, importance: true, expire_after_days: { run: 7 }, track_access: true });
    expect(every.status, JSON.stringify(every.body)).toBe(200);
    expect(await memory.policy()).toEqual({ instructions: 'Keep health facts.', includes: ['health'], excludes: ['moods'], deny: ['email'], categories: true, importance: true, expireAfterDays: { run: 7 }, trackAccess: true });
    const set = await api.put('/policy', { track_access: true });
    expect(set.body.policy).toEqual({ track_access: true });
    expect(await memory.policy()).toEqual({ trackAccess: true });
    await memory.add([{ role: 'user', content: 'Ana takes the bus for her commute', createdAt: YEAR_AGO }], { userId: 'ana', infer: false });
    const found = await api.post('/search', { query: 'commute', user_id: 'ana', explain: true, recency: { half_life_days: 30, weight: 0.5, from: 'access' } });
    expect(found.status).toBe(200);
    expect(found.body.results[0].signals.recency).toBeLessThan(0.001);
    expectError(await api.post('/search', { query: 'commute', user_id: 'ana', recency: { half_life_days: 30, from: 'reads' } }), 400, 'INVALID_INPUT');
    expectError(await api.put('/policy', { track_access: 'yes' }), 400, 'INVALID_INPUT');
  });
});
