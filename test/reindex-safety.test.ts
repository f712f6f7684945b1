import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Memory, type Embedder } from 'engram-memory';
import { SqliteStorage } from '../src/store/sqlite-storage.js';
import type { EntityRecord } from '../src/storage/graph-records.js';
import { entity } from './support/graph-seed.js';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { closeAfterTest, tempDbPath } from './support/test-memory.js';

const modelA = () => new HashingEmbedder(16, 'reindex/a');
const modelB = () => new HashingEmbedder(16, 'reindex/b');

/** Model B (or another), failing after `batches` successful calls: an interrupted reindex. */
function failingAfter(batches: number, b: Embedder = modelB()): Embedder {
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

describe('a reindex re-embeds the names of the entity graph too', () => {
  it("gives every entity the new model's vector of its current name, also when it was renamed during an interrupted reindex", async () => {
    const path = tempDbPath();
    await addAll(path, 'u', ['Anna lives in Porto']);
    const a = modelA();
    const named = async (name: string, type: EntityRecord['type']) => entity(name, { userId: 'u' }, { type, embedding: (await a.embed([name]))[0] as Float32Array });
    const anna = await named('Anna', 'person');
    const porto = await named('Porto', 'place');
    const withStorage = async <T>(model: { id: string; dimension: number }, work: (storage: SqliteStorage) => Promise<T>): Promise<T> => {
      const storage = await SqliteStorage.open({ path, busyTimeoutMs: 5_000 });
      try {
        await storage.bindEmbeddingModel(model.id, model.dimension);
        return await work(storage);
      } finally {
        await storage.close();
      }
    };
    await withStorage(a, (s) =>
      s.transaction('write', 'seeding', async (tx) => {
        await tx.insertEntity(anna);
        await tx.insertEntity(porto);
        const [memoryId] = await tx.currentIds({ userId: 'u' });
        await tx.setMentions(memoryId as string, [anna.id, porto.id]);
      }),
    );

    // Interrupted after the memory and Anna's name; meanwhile (old model) Anna is renamed: her new vector is stale.
    // Another dimension: the hashing models' vectors depend on the words only.
    const modelC = () => new HashingEmbedder(24, 'reindex/c');
    await expect(Memory.reindex({ path, embedder: failingAfter(2, modelC()), batchSize: 1 })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
    expect(count(path, 'SELECT count(*) FROM entities WHERE reindex_name IS NOT NULL')).toBe(1);
    await withStorage(a, (s) =>
      s.transaction('write', 'renaming', (tx) => tx.updateEntity(anna.id, { name: 'Dr. Anna Silva', key: 'anna silva', embedding: anna.embedding, updatedAt: Date.now() })),
    );

    const progress: { done: number; total: number }[] = [];
    const result = await Memory.reindex({ path, embedder: modelC(), batchSize: 1, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ reembedded: 0, entityNames: 2 });
    expect(progress.at(-1)).toEqual({ done: 3, total: 3 });
    const c = modelC();
    const stored = await withStorage(c, (s) => s.transaction('read', 'reading', (tx) => tx.entities({ userId: 'u' })));
    expect(stored.map((e) => e.name)).toEqual(['Dr. Anna Silva', 'Porto']);
    for (const e of stored) expect(e.embedding, e.name).toEqual((await c.embed([e.name]))[0]);
    expect(count(path, 'SELECT count(*) FROM entities WHERE reindex_name IS NOT NULL OR reindex_embedding IS NOT NULL')).toBe(0);
    const reopened = closeAfterTest(await Memory.open({ path, embedder: modelC(), llm: null }));
    expect(await reopened.verify()).toEqual({ ok: true, problems: [] });
  });
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
