import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { ftsQuery } from '../src/store/fts-query.js';
import { FixedVectorsEmbedder } from './support/fixed-vectors-embedder.js';
import { seededRandom } from './support/seeded-random.js';
import { closeAfterTest, openTestMemory, tempDbPath, TEST_EMBEDDING_MODEL } from './support/test-memory.js';

const NOTES = [
  'My physiotherapist is Dr. Okonkwo at the Riverside clinic.',
  'I started physiotherapy for my left knee in March.',
  'The knee brace from the clinic is too tight.',
  'Our cat knocked the plant off the windowsill.',
  'The quarterly budget review moved to Thursday.',
  'I prefer aisle seats on long flights.',
  'Physiotherapy appointments are on Tuesdays and Fridays.',
  'My sister recommended a clinic in Porto.',
  'The knee surgery is scheduled for next spring.',
  'I keep my running shoes by the door.',
];

const asUser = (texts: readonly string[]) => texts.map((content) => ({ role: 'user' as const, content }));

describe('keyword search from the in-memory index', () => {
  it('ranks and scores exactly as FTS5 bm25() when the scope is the whole file', async () => {
    const path = tempDbPath();
    const memory = await openTestMemory({ path });
    await memory.add(asUser(NOTES), { userId: 'u', infer: false });
    const query = 'knee physiotherapy clinic';

    const { results } = await memory.search(query, { userId: 'u', mode: 'keyword', limit: 20 });

    const db = new BetterSqlite3(path, { readonly: true });
    const reference = db
      .prepare(`SELECT m.text AS text, -bm25(memory_fts) AS bm25 FROM memory_fts JOIN memories m ON m.seq = memory_fts.rowid WHERE memory_fts MATCH ? ORDER BY bm25 DESC`)
      .all(ftsQuery(query)) as { text: string; bm25: number }[];
    db.close();
    expect(reference.length).toBeGreaterThan(3);
    expect(results.map((r) => r.memory)).toEqual(reference.map((r) => r.text));
    results.forEach((result, i) => {
      const bm25 = (reference[i] as { bm25: number }).bm25;
      expect(result.score).toBeCloseTo(bm25 / (1 + bm25), 10);
    });
  });

  it('matches word forms as the full-text index does: case, diacritics, Porter stems', async () => {
    const memory = await openTestMemory();
    await memory.add(asUser(['I went running near the Café Müller', 'We talked about taxes']), { userId: 'u', infer: false });
    const { results } = await memory.search('RUNS cafe muller', { userId: 'u', mode: 'keyword' });
    expect(results.map((r) => r.memory)).toEqual(['I went running near the Café Müller']);
  });

  it("weighs words by the scope's own memories: another user's writing never changes a score", async () => {
    const memory = await openTestMemory();
    await memory.add(asUser(NOTES), { userId: 'alice', infer: false });
    const before = await memory.search('knee clinic', { userId: 'alice', mode: 'keyword' });
    await memory.add(asUser(Array.from({ length: 60 }, (_, i) => `knee clinic visit number ${i}`)), { userId: 'bob', infer: false });
    const after = await memory.search('knee clinic', { userId: 'alice', mode: 'keyword' });
    expect(after.results.map((r) => [r.id, r.score])).toEqual(before.results.map((r) => [r.id, r.score]));
  });
  it('ranks filtered searches like FTS5 too, whether the filter passes many memories or few', async () => {
    const path = tempDbPath();
    const memory = await openTestMemory({ path });
    const random = seededRandom(7);
    const words = ['knee', 'clinic', 'physiotherapy', 'tea', 'garden', 'violin', 'budget', 'flight'];
    for (let group = 0; group < 20; group++) {
      const notes = Array.from({ length: 40 }, (_, i) => `note ${group}-${i}: ${Array.from({ length: 3 + (i % 5) }, () => words[Math.floor(random() * words.length)]).join(' ')}`);
      await memory.add(asUser(notes), { userId: 'u', infer: false, metadata: { group } });
    }
    const db = new BetterSqlite3(path, { readonly: true });
    const reference = (groups: number[]) =>
      db
        .prepare(
          `SELECT m.text AS text FROM memory_fts JOIN memories m ON m.seq = memory_fts.rowid
           WHERE memory_fts MATCH ? AND json_extract(m.metadata, '$.group') IN (SELECT value FROM json_each(?))
           ORDER BY bm25(memory_fts), m.seq LIMIT 10`,
        )
        .pluck()
        .all(ftsQuery('knee violin'), JSON.stringify(groups)) as string[];
    for (const groups of [[3], Array.from({ length: 10 }, (_, g) => g * 2)]) {
      const { results } = await memory.search('knee violin', { userId: 'u', mode: 'keyword', filters: { group: { in: groups } } });
      expect(results.map((r) => r.memory)).toEqual(reference(groups));
    }
    db.close();
  });

  it('a filter changes which memories come back, never their scores', async () => {
    const memory = await openTestMemory();
    await memory.add(asUser(NOTES.slice(0, 5)), { userId: 'u', infer: false, metadata: { shared: true } });
    await memory.add(asUser(NOTES.slice(5)), { userId: 'u', infer: false, metadata: { shared: false } });
    await memory.add(asUser(['knee clinic knee clinic', 'another knee note']), { userId: 'someone else', infer: false });
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const all = (await memory.search('knee clinic', { userId: 'u', mode, limit: 20 })).results;
      const shared = (await memory.search('knee clinic', { userId: 'u', mode, limit: 20, filters: { shared: true } })).results;
      expect(shared.length).toBeGreaterThan(0);
      for (const r of shared) expect(r.score, mode).toBe(all.find((a) => a.id === r.id)?.score);
    }
  });
});

describe('in-memory indexes stay true to the file', () => {
  it('a search sees adds, updates and deletes another connection just committed', async () => {
    const path = tempDbPath();
    const reader = await openTestMemory({ path });
    const writer = closeAfterTest(await Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL } }));
    const { results: added } = await writer.add(asUser(NOTES.slice(0, 4)), { userId: 'u', infer: false });
    const [doctor, knee] = added.map((r) => r.id);
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) await reader.search('knee physiotherapist clinic', { userId: 'u', mode }); // indexes built

    await writer.add('I bought a sea kayak', { userId: 'u', infer: false });
    await writer.update(doctor as string, 'My physiotherapist is now Dr. Haddad at the harbour clinic.');
    await writer.delete(knee as string);

    for (const mode of ['keyword', 'hybrid'] as const) {
      expect((await reader.search('kayak', { userId: 'u', mode })).results[0]?.memory).toBe('I bought a sea kayak');
      expect((await reader.search('Haddad harbour', { userId: 'u', mode })).results[0]?.memory).toBe('My physiotherapist is now Dr. Haddad at the harbour clinic.');
    }
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const { results } = await reader.search('Okonkwo knee physiotherapy Riverside', { userId: 'u', mode, limit: 10 });
      expect(results.some((r) => r.id === knee)).toBe(false);
      expect(results.some((r) => r.memory.includes('Okonkwo'))).toBe(false);
    }
  });

  it('after a scope is forgotten and filled again, search finds only the new memories', async () => {
    const memory = await openTestMemory();
    await memory.add(asUser(NOTES.slice(0, 5)), { userId: 'u', infer: false });
    expect((await memory.search('knee', { userId: 'u', mode: 'keyword' })).results.length).toBeGreaterThan(0);
    await memory.forget({ userId: 'u' });
    // The new rows take the deleted rows' places (SQLite reuses the highest rowids).
    await memory.add(asUser(['Violin lessons start in May', 'The landlord fixed the boiler']), { userId: 'u', infer: false });

    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const { results } = await memory.search('knee violin boiler', { userId: 'u', mode, limit: 10 });
      expect(results.map((r) => r.memory).sort()).toEqual(['The landlord fixed the boiler', 'Violin lessons start in May']);
    }
    await memory.reset();
    expect((await memory.search('violin', { userId: 'u' })).results).toEqual([]);
  });

  it('indexes scopes without a user (an agent, a run) the same way, and keeps them apart', async () => {
    const memory = await openTestMemory();
    await memory.add(asUser(NOTES.slice(0, 5)), { agentId: 'coach', infer: false });
    await memory.add(asUser(NOTES.slice(5)), { agentId: 'planner', infer: false });
    await memory.add(asUser(['The knee clinic called about the brace']), { runId: 'session-1', infer: false });
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const coach = (await memory.search('knee clinic', { agentId: 'coach', mode, limit: 20 })).results;
      const expected = mode === 'keyword' ? NOTES.slice(0, 5).filter((note) => /knee|clinic/i.test(note)) : NOTES.slice(0, 5);
      expect(coach.map((r) => r.memory).sort(), mode).toEqual([...expected].sort());
      expect(coach.every((r) => r.agentId === 'coach')).toBe(true);
      expect((await memory.search('knee clinic', { runId: 'session-1', mode })).results.map((r) => r.memory)).toEqual(['The knee clinic called about the brace']);
    }
    await memory.add('Knee exercises twice a day', { agentId: 'coach', infer: false });
    expect((await memory.search('exercises', { agentId: 'coach', mode: 'hybrid' })).results[0]?.memory).toBe('Knee exercises twice a day');
  });

  it('with no memory budget for indexes, results are the same as with one', async () => {
    const roomy = await openTestMemory();
    const tight = await openTestMemory({ searchIndexMiB: 0 });
    for (const memory of [roomy, tight]) {
      for (const [u, user] of ['ann', 'ben', 'cy'].entries()) await memory.add(asUser(NOTES.slice(u * 3, u * 3 + 5)), { userId: user, infer: false });
    }
    for (const query of ['knee clinic', 'budget review', 'sister Porto', 'knee surgery spring']) {
      for (const user of ['ann', 'ben', 'cy']) {
        const [a, b] = await Promise.all([roomy, tight].map((m) => m.search(query, { userId: user })));
        expect(b?.results.map((r) => [r.memory, r.score])).toEqual(a?.results.map((r) => [r.memory, r.score]));
      }
    }
  });
});

describe('vector search in a large scope (sign-bit first pass, exact re-scoring)', () => {
  const DIMENSION = 384;
  const CLUSTERS = 8;
  const PER_CLUSTER = 400; // 3,200 memories: a scope large enough for the first pass (2,000), scoring 1,000 candidates exactly

  function gaussian(random: () => number): number {
    return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }

  function near(center: Float32Array, spread: number, random: () => number): Float32Array {
    return center.map((c) => c + spread * gaussian(random));
  }

  async function largeScope(): Promise<{ memory: Memory; embedder: FixedVectorsEmbedder; queries: Float32Array[]; texts: string[] }> {
    const random = seededRandom(20261126);
    const embedder = new FixedVectorsEmbedder(DIMENSION);
    const centers = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIMENSION }, () => gaussian(random)));
    const texts: string[] = [];
    centers.forEach((center, c) => {
      for (let i = 0; i < PER_CLUSTER; i++) {
        const text = `memory ${c}-${i}`;
        embedder.set(text, near(center, 0.6, random));
        texts.push(text);
      }
    });
    const others = Array.from({ length: 200 }, (_, i) => `someone else's memory ${i}`);
    for (const text of others) embedder.set(text, near(centers[i(text) % CLUSTERS] as Float32Array, 0.6, random));
    const memory = await openTestMemory({ embedder });
    for (let i = 0; i < texts.length; i += 100) await memory.add(asUser(texts.slice(i, i + 100)), { userId: 'big', infer: false, metadata: { batch: i / 100 } });
    for (let i = 0; i < others.length; i += 100) await memory.add(asUser(others.slice(i, i + 100)), { userId: 'other', infer: false });
    const queries = Array.from({ length: 30 }, (_, q) => {
      const text = `query ${q}`;
      const vector = near(centers[(q * 7) % CLUSTERS] as Float32Array, 0.7, random);
      embedder.set(text, vector);
      return vector;
    });
    return { memory, embedder, queries, texts };
  }

  const i = (text: string) => Number(text.match(/\d+/)?.[0] ?? 0);

  it('finds what exact KNN finds (recall@10 ≥ 0.95), with the same exact scores, only in the scope', async () => {
    const { memory, queries } = await largeScope();
    let recall = 0;
    for (let q = 0; q < queries.length; q++) {
      const approximate = (await memory.search(`query ${q}`, { userId: 'big', mode: 'vector', limit: 10 })).results;
      const exact = (await memory.search(`query ${q}`, { userId: 'big', mode: 'vector', limit: 10, exact: true })).results;
      expect(approximate).toHaveLength(10);
      expect(approximate.every((r) => r.userId === 'big')).toBe(true);
      const exactScores = new Map(exact.map((r) => [r.id, r.score]));
      for (const r of approximate) if (exactScores.has(r.id)) expect(r.score).toBeCloseTo(exactScores.get(r.id) as number, 5);
      recall += approximate.filter((r) => exactScores.has(r.id)).length / 10;
    }
    expect(recall / queries.length).toBeGreaterThanOrEqual(0.95);
  });

  it('never returns a version that stopped being current', async () => {
    const { memory, embedder } = await largeScope();
    const first = (await memory.search('query 0', { userId: 'big', mode: 'vector', limit: 5 })).results;
    const [changed, removed] = first;
    embedder.set('an edited memory', (await embedder.embed([changed?.memory as string]))[0] as Float32Array);
    await memory.update(changed?.id as string, 'an edited memory');
    await memory.delete(removed?.id as string);

    const after = (await memory.search('query 0', { userId: 'big', mode: 'vector', limit: 5 })).results;
    expect(after.find((r) => r.id === changed?.id)).toMatchObject({ memory: 'an edited memory', version: 2 });
    expect(after.some((r) => r.id === removed?.id)).toBe(false);
    expect(after.map((r) => r.id)).toEqual(
      (await memory.search('query 0', { userId: 'big', mode: 'vector', limit: 5, exact: true })).results.map((r) => r.id),
    );
  });

  it('with a metadata filter, finds the nearest memories that pass it, whether it passes many or few', async () => {
    const { memory } = await largeScope();
    const filters = {
      many: { batch: { in: Array.from({ length: 10 }, (_, b) => b * 3) } }, // 10 of 32 batches
      few: { batch: 7 }, // 100 of 3,200
    };
    for (const [share, filter] of Object.entries(filters)) {
      for (let q = 0; q < 10; q++) {
        const search = (exact: boolean) => memory.search(`query ${q}`, { userId: 'big', mode: 'vector', limit: 10, filters: filter, exact });
        const [found, truth] = [(await search(false)).results, (await search(true)).results];
        expect(found, share).toHaveLength(10);
        const batches = share === 'many' ? filters.many.batch.in : [7];
        expect(found.every((r) => batches.includes(r.metadata['batch'] as number))).toBe(true);
        expect(found.filter((r) => truth.some((t) => t.id === r.id)).length, share).toBeGreaterThanOrEqual(9);
      }
    }
  });
});

