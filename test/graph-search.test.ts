import { describe, expect, it } from 'vitest';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import type { Embedder } from 'engram-memory';
import { openTestMemory, testEmbedder } from './support/test-memory.js';

/** Search with the entity graph, on every engine. */

const room = { userId: 'group-chat' };
const turn = (name: string, content: string, day: string) => [{ role: 'user' as const, name, content, createdAt: `${day}T10:00:00Z` }];

describe('search with the entity graph', () => {
  it('weighs memories naming the query’s entity higher (here: who said it), with an explained entity signal', async () => {
    const memory = await openTestMemory({ llm: null, graph: true });
    await memory.add(turn('Ben', 'I went hiking in the hills on Saturday.', '2025-03-01'), { ...room, infer: false });
    for (const [i, text] of ['The weather was awful.', 'My car broke down again.', 'Work is busy this month.'].entries()) {
      await memory.add(turn('Ben', text, `2025-03-0${i + 2}`), { ...room, infer: false });
    }
    await memory.add(turn('Anna', 'I went hiking in the hills on Sunday.', '2025-03-05'), { ...room, infer: false });

    const withGraph = await memory.search('When did Anna go hiking?', { ...room, explain: true, limit: 5 });
    expect(withGraph.results[0]!.memory).toBe('I went hiking in the hills on Sunday.');
    expect(withGraph.results[0]!.signals?.entity).toBe(1);
    for (const other of withGraph.results.slice(1)) expect(other.signals?.entity).toBeUndefined();

    const without = await memory.search('When did Anna go hiking?', { ...room, explain: true, limit: 5, graph: false });
    expect(without).not.toHaveProperty('relations');
    for (const result of without.results) expect(result.signals?.entity).toBeUndefined();
    const annaWith = withGraph.results[0]!;
    const annaWithout = without.results.find((r) => r.id === annaWith.id)!;
    expect(annaWith.score).toBeGreaterThan(annaWithout.score);
    for (const result of withGraph.results) expect(result.score).toBeLessThanOrEqual(1);
  });

  it('counts a name most memories carry for little: the rarer entity of the query decides', async () => {
    const memory = await openTestMemory({ llm: null, graph: true });
    // Everything here is said by Ben; only one memory names Lisbon.
    await memory.add(turn('Ben', 'I loved the trip to Lisbon.', '2025-03-01'), { ...room, infer: false });
    for (const [i, text] of ['I loved the trip to the coast.', 'I loved the trip to the mountains.', 'I loved the long trip home.'].entries()) {
      await memory.add(turn('Ben', text, `2025-03-0${i + 2}`), { ...room, infer: false });
    }
    const { results } = await memory.search('What did Ben love about Lisbon?', { ...room, explain: true, limit: 4 });
    const lisbon = results.find((r) => r.memory.includes('Lisbon'))!;
    const others = results.filter((r) => r !== lisbon);
    // Ben names every memory (idf 0): only Lisbon carries signal.
    expect(lisbon.signals?.entity).toBe(1);
    for (const other of others) expect(other.signals?.entity ?? 0).toBe(0);
  });

  it('matches a name the query writes differently by its vector, only when its capitalized words agree', async () => {
    const base = testEmbedder();
    // "Acme Corp" and "Beta Corp" get the vector of "Acme Corporation": only the first agrees with it by name.
    const embedder: Embedder = {
      id: base.id,
      dimension: base.dimension,
      embed: (texts) => base.embed(texts.map((t) => (t === 'Acme Corp' || t === 'Beta Corp' ? 'Acme Corporation' : t))),
    };
    const memory = await openTestMemory({ llm: null, graph: true, embedder });
    await memory.add(turn('Ben', 'I started a new job at Acme Corporation.', '2025-03-01'), { ...room, infer: false });
    await memory.add(turn('Ben', 'I started a new hobby, pottery.', '2025-03-02'), { ...room, infer: false });
    const acme = await memory.search('What does Ben do at Acme Corp?', { ...room, explain: true });
    expect(acme.results.find((r) => r.memory.includes('Acme'))?.signals?.entity).toBeGreaterThan(0);
    const beta = await memory.search('What does Ben do at Beta Corp?', { ...room, explain: true });
    expect(beta.results.find((r) => r.memory.includes('Acme'))?.signals?.entity ?? 0).toBe(0);
  });

  it('returns the relations around the query’s entities beside the memories, as of the time asked', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Her sister Anna works at Acme', kind: 'semantic', relations: [{ source: 'Anna', relation: 'works_at', target: 'Acme' }, { source: 'I', relation: 'sister_of', target: 'Anna' }] }),
      ops({ event: 'UPDATE', id: '0', text: 'Her sister Anna works at Beta Labs now', relations: [{ source: 'Anna', relation: 'works_at', target: 'Beta Labs' }, { source: 'I', relation: 'sister_of', target: 'Anna' }] }),
    );
    const memory = await openTestMemory({ llm, graph: true });
    const alice = { userId: 'alice' };
    await memory.add([{ role: 'user', content: 'My sister Anna works at Acme.', createdAt: '2025-01-10T10:00:00Z' }], alice);
    await memory.add([{ role: 'user', content: 'Anna moved to Beta Labs.', createdAt: '2025-06-01T10:00:00Z' }], alice);
    const describe = (relations: { source: { name: string }; relation: string; target: { name: string } }[] | undefined) =>
      (relations ?? []).map((r) => `${r.source.name} ${r.relation} ${r.target.name}`).sort();

    const now = await memory.search('Where does Anna work?', alice);
    expect(describe(now.relations)).toEqual(['Anna works_at Beta Labs', 'alice sister_of Anna']);
    const then = await memory.search('Where does Anna work?', { ...alice, asOf: '2025-03-01T00:00:00Z' });
    expect(describe(then.relations)).toEqual(['Anna works_at Acme', 'alice sister_of Anna']);
    expect(then.results[0]!.memory).toBe('Her sister Anna works at Acme');
    // A query naming no entity gets no relations, and another user's graph is never walked.
    expect((await memory.search('What about the weather?', alice)).relations).toEqual([]);
    expect((await memory.search('Where does Anna work?', { userId: 'bob' })).relations).toEqual([]);
  });
});
