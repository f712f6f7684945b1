import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Memory, type Embedder } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { closeAfterTest, tempDbPath } from './support/test-memory.js';

const modelA = () => new HashingEmbedder(16, 'reindex/a');
const modelB = () => new HashingEmbedder(16, 'reindex/b');

/** Model B, failing after `batches` successful calls: an interrupted reindex. */
function failingAfter(batches: number): Embedder {
  const b = modelB();
  let calls = 0;
  return { id: b.id, dimension: b.dimension, embed: async (texts) => (++calls > batches ? Promise.reject(new Error('killed')) : b.embed(texts)) };
}

const count = (path: string, sql: string) => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
};

async function addAll(path: string, userId: string, texts: string[]): Promise<void> {
  const memory = await Memory.open({ path, embedder: modelA(), llm: null });
  await memory.add(
    texts.map((content) => ({ role: 'user' as const, content })),
    { userId, infer: false },
  );
  await memory.close();
}

describe('a resumed reindex keys its vectors by memory id and version', () => {
  for (const erase of ['forget', 'reset'] as const) {
    it(`after ${erase} and new adds, every memory is found by its own text, and no vector of an erased text is left`, async () => {
      const path = tempDbPath();
      await addAll(path, 'old', ['the sky is blue', 'zebras have stripes', 'owls hunt at night', 'tea grows in Assam', 'ice melts in spring', 'rain feeds rivers']);
      await expect(Memory.reindex({ path, embedder: failingAfter(1), batchSize: 3 })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
      expect(count(path, 'SELECT count(*) FROM reindex_vectors')).toBe(3);

      const memory = await Memory.open({ path, embedder: modelA(), llm: null });
      if (erase === 'forget') await memory.forget({ userId: 'old' });
      else await memory.reset();
      await memory.close();
      // The erased texts' re-embedded vectors went with them.
      expect(count(path, 'SELECT count(*) FROM reindex_vectors')).toBe(0);

      const fresh = ['cats purr when content', 'bread needs yeast', 'violins have four strings', 'the moon has phases', 'glaciers carve valleys', 'bees make honey'];
      await addAll(path, 'new', fresh);
      await Memory.reindex({ path, embedder: modelB(), batchSize: 3 });

      const reopened = closeAfterTest(await Memory.open({ path, embedder: modelB(), llm: null }));
      for (const text of fresh) {
        const [best] = (await reopened.search(text, { userId: 'new', mode: 'vector', limit: 1, explain: true })).results;
        expect(best?.memory, `"${text}" is not found by its own text`).toBe(text);
        expect(best?.signals?.vector).toBeCloseTo(1, 5);
      }
      expect(await reopened.verify()).toEqual({ ok: true, problems: [] });
    });
  }
});

describe('every connection checks the embedding binding on every write and search', () => {
  it('a process still running the old model after the file was switched gets EMBEDDING_MISMATCH, and writes nothing', async () => {
    const path = tempDbPath();
    const memory = closeAfterTest(await Memory.open({ path, embedder: modelA(), llm: null }));
    const { results } = await memory.add('the sky is blue', { userId: 'u', infer: false });
    const id = results[0]?.id as string;

    // Another connection switches the file to model B (as a reindex by an older Engram, or by hand, would).
    const other = new BetterSqlite3(path);
    other.prepare(`UPDATE meta SET value = 'reindex/b' WHERE key = 'embedding_model'`).run();
    other.close();

    await expect(memory.add('zebras have stripes', { userId: 'u', infer: false })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await expect(memory.update(id, 'the sky is grey')).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await expect(memory.search('the sky is blue', { userId: 'u' })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await expect(memory.search('the sky is blue', { userId: 'u', mode: 'vector' })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    const error = await memory.add('x y z', { userId: 'u', infer: false }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/switched to the embedding model "reindex\/b".*reopen/);
    // Words alone still answer; nothing was written.
    expect((await memory.search('sky', { userId: 'u', mode: 'keyword' })).results.map((r) => r.memory)).toEqual(['the sky is blue']);
    expect(count(path, 'SELECT count(*) FROM memories')).toBe(1);
  });
});
