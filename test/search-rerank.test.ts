import { describe, expect, it } from 'vitest';
import { Memory, TransformersReranker } from 'engram-memory';
import { KeywordReranker } from './support/keyword-reranker.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, TEST_RERANKER_MODEL, tempDbPath } from './support/test-memory.js';

const NOTES = ['Grandma visits on Sundays', 'The car needs new tyres', 'Sunday brunch at the harbour cafe', 'Tyres rotated last spring', 'Sunday is laundry day'];

async function open(reranker?: ConstructorParameters<typeof TransformersReranker>[0] | KeywordReranker) {
  const memory = closeAfterTest(
    await Memory.open({ path: tempDbPath(), embedder: { model: TEST_EMBEDDING_MODEL }, llm: null, ...(reranker ? { reranker } : {}) }),
  );
  await memory.add(NOTES.map((content) => ({ role: 'user' as const, content })), { userId: 'u', infer: false });
  return memory;
}

describe('search with rerank', () => {
  it('reorders the candidates by the cross-encoder, with logistic scores in [0, 1]', async () => {
    const reranker = new KeywordReranker();
    const memory = await open(reranker);
    const query = 'sunday brunch harbour';
    const { results } = await memory.search(query, { userId: 'u', rerank: true, explain: true, limit: 3 });
    const expected = await reranker.score(query, NOTES);
    const best = NOTES.map((n, i) => [n, expected[i]!] as const).sort((a, b) => b[1] - a[1])[0]![0];
    expect(results[0]!.memory).toBe(best);
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.score).toBeGreaterThan(0);
      expect(r.score).toBeLessThan(1);
      expect(r.signals?.rerank).toBe(r.score);
    }
    const scores = results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('runs the generated cross-encoder through transformers.js, in the order its scores give', async () => {
    const memory = await open({ model: TEST_RERANKER_MODEL, dtype: 'fp32' });
    const query = 'when does grandma come';
    const { results } = await memory.search(query, { userId: 'u', rerank: true, limit: 5 });
    const direct = await new TransformersReranker({ model: TEST_RERANKER_MODEL, dtype: 'fp32' }).score(
      query,
      results.map((r) => r.memory),
    );
    const sigmoid = direct.map((x) => 1 / (1 + Math.exp(-x)));
    results.forEach((r, i) => expect(r.score).toBeCloseTo(sigmoid[i]!, 4));
  });

  it('applies threshold after reranking, and refuses rerank without a reranker', async () => {
    const memory = await open(new KeywordReranker());
    const { results } = await memory.search('tyres', { userId: 'u', rerank: true, threshold: 0.6 });
    expect(results.every((r) => r.score >= 0.6)).toBe(true);
    expect(results.length).toBeGreaterThan(0);
    const plain = await open();
    await expect(plain.search('tyres', { userId: 'u', rerank: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('reports a reranker failing at run time as RERANK_FAILED (the model loaded; scoring failed), and a search without rerank still works', async () => {
    const failing = [
      { id: 'test/throws', score: async () => Promise.reject(new Error('out of memory')) },
      { id: 'test/nan', score: async (_query: string, documents: string[]) => documents.map(() => Number.NaN) },
      { id: 'test/short', score: async () => [1] },
    ];
    for (const reranker of failing) {
      const memory = closeAfterTest(await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm: null, reranker }));
      await memory.add(NOTES.map((content) => ({ role: 'user' as const, content })), { userId: 'u', infer: false });
      await expect(memory.search('tyres', { userId: 'u', rerank: true }), reranker.id).rejects.toMatchObject({ code: 'RERANK_FAILED' });
      expect((await memory.search('tyres', { userId: 'u' })).results.length).toBeGreaterThan(0);
    }
  });
});
