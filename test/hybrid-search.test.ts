import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { ftsQuery } from '../src/store/fts-query.js';
import { reciprocalRankFusion } from '../src/pipeline/fusion.js';
import { openTestMemory } from './support/test-memory.js';

const NOTES = [
  'My physiotherapist is Dr. Okonkwo at the Riverside clinic.',
  'I started physiotherapy for my left knee in March.',
  'Our cat knocked the plant off the windowsill.',
  'The quarterly budget review moved to Thursday.',
  'I prefer aisle seats on long flights.',
];

async function seeded(): Promise<Memory> {
  const memory = await openTestMemory();
  await memory.add(NOTES.map((content) => ({ role: 'user' as const, content })), { userId: 'u', infer: false });
  return memory;
}

describe('reciprocal-rank fusion', () => {
  it('ranks an id found by both signals above ids found by one, and normalizes to [0, 1]', () => {
    const fused = reciprocalRankFusion([
      [1, 2, 3],
      [3, 4],
    ]);
    expect(fused.map((f) => f.id)).toEqual([3, 1, 2, 4]); // 2 and 4 tie (both second once); ties go to the lower id
    expect(reciprocalRankFusion([[7], [7]])[0]).toEqual({ id: 7, score: 1 });
    for (const f of fused) expect(f.score).toBeGreaterThan(0), expect(f.score).toBeLessThanOrEqual(1);
  });
});

describe('FTS query escaping', () => {
  it('keeps only words, each quoted, ORed', () => {
    expect(ftsQuery('What did Dr. Okonkwo say?')).toBe('"dr" OR "okonkwo" OR "say"');
    expect(ftsQuery('the of and')).toBe('"the" OR "of" OR "and"');
    expect(ftsQuery('!!! ??? 🙂')).toBeUndefined();
  });

  it.each([
    ['quotes', 'he said "knee" and \'left\''],
    ['FTS operators', 'knee AND NOT left OR NEAR(knee left) knee* ^knee text:knee'],
    ['emoji and symbols', '🦵 knee 💥 #@$%^&*()'],
    ['SQL-looking text', "knee'); DROP TABLE memories; --"],
    ['unbalanced syntax', '"knee ( left'],
    ['only punctuation', '"""'],
  ])('user text with %s never breaks search and finds the knee note when it mentions it', async (_name, query) => {
    const memory = await seeded();
    for (const mode of ['hybrid', 'keyword'] as const) {
      const { results } = await memory.search(query, { userId: 'u', mode });
      if (query.includes('knee')) expect(results.map((r) => r.memory)).toContain('I started physiotherapy for my left knee in March.');
    }
    expect((await memory.getAll({ userId: 'u' })).results).toHaveLength(NOTES.length);
  });
});

describe('hybrid search', () => {
  it('finds a rare name by keyword that meaning alone misses, and still ranks by meaning', async () => {
    const memory = await seeded();
    const keyword = await memory.search('Okonkwo', { userId: 'u', mode: 'keyword' });
    expect(keyword.results[0]?.memory).toContain('Okonkwo');
    const hybrid = await memory.search('Okonkwo', { userId: 'u', explain: true });
    expect(hybrid.results[0]?.memory).toContain('Okonkwo');
    expect(hybrid.results[0]?.signals?.keywordRank).toBe(1);
    const meaning = await memory.search('seat preference when flying', { userId: 'u', limit: 1 });
    expect(meaning.results[0]?.memory).toBe('I prefer aisle seats on long flights.');
  });

  it('weighs cosine against relative BM25 by default, with scores in [0, 1], and explains each signal', async () => {
    const memory = await seeded();
    const { results } = await memory.search('physiotherapy for my knee', { userId: 'u', explain: true, neighbours: false });
    expect(results[0]!.memory).toBe('I started physiotherapy for my left knee in March.');
    expect(results[0]!.signals).toMatchObject({ vectorRank: 1, keywordRank: 1 });
    // The best keyword match counts 1 on the keyword side: score = 0.5 × cosine + 0.5.
    expect(results[0]!.score).toBeCloseTo(0.5 * results[0]!.signals!.vector! + 0.5, 6);
    const scores = results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const r of results) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r.signals?.vector, 'every candidate is judged on its cosine').toBeDefined();
    }
    const onlyVector = results.filter((r) => r.signals?.keywordRank === undefined);
    for (const r of onlyVector) expect(r.score).toBeCloseTo(0.5 * r.signals!.vector!, 6);
    const keywordHeavy = await memory.search('physiotherapy for my knee', { userId: 'u', vectorWeight: 0, neighbours: false });
    expect(keywordHeavy.results[0]!.score).toBeCloseTo(1, 6);
  });

  it('can fuse by reciprocal rank instead: 1 for first in both rankings, at most 0.5 for one', async () => {
    const memory = await seeded();
    const { results } = await memory.search('physiotherapy for my knee', { userId: 'u', explain: true, fusion: 'rrf', neighbours: false });
    expect(results[0]!.memory).toBe('I started physiotherapy for my left knee in March.');
    expect(results[0]!.score).toBeCloseTo(1, 5);
    const scores = results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const r of results.filter((x) => x.signals?.keywordRank === undefined)) expect(r.score).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it('applies threshold to the mode’s score the same way in every mode', async () => {
    const memory = await seeded();
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const all = (await memory.search('knee physiotherapy clinic', { userId: 'u', mode })).results;
      expect(all.length, mode).toBeGreaterThan(1);
      const cut = all[1]!.score;
      const kept = (await memory.search('knee physiotherapy clinic', { userId: 'u', mode, threshold: cut })).results;
      expect(kept.every((r) => r.score >= cut), mode).toBe(true);
      expect(kept.length, mode).toBeLessThan(all.length + 1);
      expect((await memory.search('knee physiotherapy clinic', { userId: 'u', mode, threshold: 1 })).results.length, mode).toBeLessThanOrEqual(1);
    }
  });

  it('applies metadata filters inside both signals', async () => {
    const memory = await openTestMemory();
    await memory.add('Knee exercises every morning', { userId: 'u', infer: false, metadata: { topic: 'health' } });
    await memory.add('Knee-high boots are on sale', { userId: 'u', infer: false, metadata: { topic: 'shopping' } });
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const { results } = await memory.search('knee', { userId: 'u', mode, filters: { topic: 'shopping' } });
      expect(results.map((r) => r.memory), mode).toEqual(['Knee-high boots are on sale']);
    }
  });

  it('never returns another scope’s memory through the keyword signal', async () => {
    const memory = await openTestMemory();
    await memory.add('Zanzibar trip booked for June', { userId: 'bob', infer: false });
    await memory.add('Zanzibar trip booked for June', { userId: 'alice', agentId: 'travel', infer: false });
    await memory.add('Likes tea', { userId: 'alice', infer: false });
    for (const mode of ['hybrid', 'keyword'] as const) {
      expect((await memory.search('Zanzibar', { userId: 'carol', mode })).results, mode).toEqual([]);
      const alice = await memory.search('Zanzibar', { userId: 'alice', mode });
      expect(alice.results.every((r) => r.userId === 'alice'), mode).toBe(true);
      const aliceOnly = await memory.search('Zanzibar', { userId: 'alice', agentId: 'nobody', mode });
      expect(aliceOnly.results, mode).toEqual([]);
    }
  });

  it('sees the store as it was with asOf, in every mode', async () => {
    const memory = await openTestMemory();
    const [note] = (await memory.add('Locker code is 4512', { userId: 'u', infer: false })).results;
    await sleep(5);
    const before = new Date();
    await sleep(5);
    await memory.update(note!.id, 'Locker code is 9931');
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const then = await memory.search('locker code', { userId: 'u', mode, asOf: before });
      expect(then.results.map((r) => r.memory), mode).toEqual(['Locker code is 4512']);
      const now = await memory.search('locker code', { userId: 'u', mode });
      expect(now.results.map((r) => r.memory), mode).toEqual(['Locker code is 9931']);
    }
  });

  it('weighs recency when asked', async () => {
    const memory = await openTestMemory();
    await memory.add([{ role: 'user', content: 'Favourite band is Queen', createdAt: '2020-01-01T00:00:00Z' }], { userId: 'u', infer: false });
    await memory.add([{ role: 'user', content: 'Favourite band is Blur', createdAt: new Date().toISOString() }], { userId: 'u', infer: false });
    const recent = await memory.search('favourite band', { userId: 'u', mode: 'keyword', recency: { halfLifeDays: 30, weight: 0.5 }, explain: true });
    expect(recent.results[0]!.memory).toBe('Favourite band is Blur');
    expect(recent.results[0]!.signals?.recency).toBeGreaterThan(0.9);
    expect(recent.results[1]!.signals?.recency).toBeLessThan(0.01);
  });
});
