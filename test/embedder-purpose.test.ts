import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Memory, TransformersEmbedder, type Embedder } from 'engram-memory';
import type { EmbedPurpose } from '../src/embed/embedder.js';
import { collect } from './support/collect.js';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath, tempDir, testEmbedder } from './support/test-memory.js';

const E5_STYLE = { queryPrefix: 'query: ', documentPrefix: 'passage: ' };
const BGE_QUERY = 'Represent this sentence for searching relevant passages: ';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);

/** A copy of the generated test model with this engram.json beside it. */
function modelWithSettings(settings: unknown): string {
  const folder = join(tempDir(), 'model');
  cpSync(TEST_EMBEDDING_MODEL, folder, { recursive: true });
  writeFileSync(join(folder, 'engram.json'), typeof settings === 'string' ? settings : JSON.stringify(settings));
  return folder;
}

/** An Embedder that notes what each call embedded and for what, then lets another embedder do the work. */
class RecordingEmbedder implements Embedder {
  readonly calls: { texts: string[]; purpose: EmbedPurpose | undefined }[] = [];
  readonly id: string;
  readonly dimension: number;

  constructor(private readonly inner: Embedder) {
    this.id = inner.id;
    this.dimension = inner.dimension;
  }

  embed(texts: string[], purpose?: EmbedPurpose): Promise<Float32Array[]> {
    this.calls.push({ texts, purpose });
    return this.inner.embed(texts, purpose);
  }

  purposes(): (EmbedPurpose | undefined)[] {
    return [...new Set(this.calls.map((c) => c.purpose))];
  }
}

describe('query and document prefixes (engram.json)', () => {
  const text = 'my sister adopted a puppy last spring';

  it('embeds a query and a stored text differently, exactly as the model without prefixes embeds the prefixed texts', async () => {
    const prefixed = new TransformersEmbedder({ model: modelWithSettings(E5_STYLE) });
    const [query] = await prefixed.embed([text], 'query');
    const [document] = await prefixed.embed([text], 'document');
    const [byDefault] = await prefixed.embed([text]);
    expect(cosine(query!, document!)).toBeLessThan(0.99);
    expect(byDefault).toEqual(document); // a stored text unless told otherwise

    const [queryByHand, documentByHand] = await testEmbedder().embed([`query: ${text}`, `passage: ${text}`]);
    expect(cosine(query!, queryByHand!)).toBeCloseTo(1, 5);
    expect(cosine(document!, documentByHand!)).toBeCloseTo(1, 5);
    await prefixed.dispose();
  });

  it('keeps the model’s id without prefixes and names the prefixes in it with them; an option beats the file', async () => {
    expect(testEmbedder().id).toBe('engram/test-glove-sif-100d');
    expect(new TransformersEmbedder({ model: modelWithSettings({ pooling: 'mean' }) }).id).toBe('engram/test-glove-sif-100d');
    expect(new TransformersEmbedder({ model: modelWithSettings(E5_STYLE) }).id).toBe(
      'engram/test-glove-sif-100d (query: "query: ", document: "passage: ")',
    );
    expect(new TransformersEmbedder({ model: modelWithSettings({ pooling: 'cls', queryPrefix: BGE_QUERY }) }).id).toBe(
      `engram/test-glove-sif-100d (query: "${BGE_QUERY}")`,
    );
    const folder = modelWithSettings(E5_STYLE);
    expect(new TransformersEmbedder({ model: folder, queryPrefix: '', documentPrefix: '' }).id).toBe('engram/test-glove-sif-100d');
    const overridden = new TransformersEmbedder({ model: folder, queryPrefix: 'search: ' });
    expect(overridden.id).toBe('engram/test-glove-sif-100d (query: "search: ", document: "passage: ")');
    const [query] = await overridden.embed([text], 'query');
    const [byHand] = await testEmbedder().embed([`search: ${text}`]);
    expect(cosine(query!, byHand!)).toBeCloseTo(1, 5);
    await overridden.dispose();
  });

  it('fails with MODEL_LOAD_FAILED naming engram.json when it is not valid', () => {
    for (const broken of ['{ "queryPrefix": ', { queryPrefix: 3 }, { queryprefix: 'query: ' }, { pooling: 'max' }]) {
      const folder = modelWithSettings(broken);
      expect(() => new TransformersEmbedder({ model: folder }), JSON.stringify(broken)).toThrow(
        expect.objectContaining({ code: 'MODEL_LOAD_FAILED', message: expect.stringContaining(join(folder, 'engram.json')) }),
      );
    }
  });
});

describe('what Memory embeds as a query, and what as a document', () => {
  it('search embeds its query as a query; add, update, import and reindex embed stored texts as documents', async () => {
    const embedder = new RecordingEmbedder(new HashingEmbedder(16));
    const path = tempDbPath();
    const memory = closeAfterTest(await Memory.open({ path, embedder, llm: null }));
    const [added] = (await memory.add('I adopted a puppy named Biscuit.', { userId: 'alice', infer: false })).results;
    await memory.update(added!.id, 'I adopted a puppy named Biscuit in May.');
    expect(embedder.purposes()).toEqual(['document']);

    embedder.calls.length = 0;
    const { results } = await memory.search('what is my dog called?', { userId: 'alice' });
    expect(results.map((r) => r.memory)).toEqual(['I adopted a puppy named Biscuit in May.']);
    expect(embedder.calls).toEqual([{ texts: ['what is my dog called?'], purpose: 'query' }]);

    const importer = new RecordingEmbedder(new HashingEmbedder(16));
    const target = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: importer, llm: null }));
    await target.import((await collect(memory.export())).map((r) => JSON.stringify(r)));
    expect(importer.calls.length).toBeGreaterThan(0);
    expect(importer.purposes()).toEqual(['document']);

    await memory.close();
    const reindexer = new RecordingEmbedder(new HashingEmbedder(16, 'test/hashing-16-other'));
    await Memory.reindex({ path, embedder: reindexer });
    expect(reindexer.calls.length).toBeGreaterThan(0);
    expect(reindexer.purposes()).toEqual(['document']);
  });

  it('a file embedded without prefixes refuses the model with prefixes (EMBEDDING_MISMATCH, saying to reindex) until `reindex`', async () => {
    const path = tempDbPath();
    const before = await Memory.open({ path, embedder: testEmbedder(), llm: null });
    await before.add('My sister adopted a puppy last spring.', { userId: 'alice', infer: false });
    await before.add('Quarterly revenue grew by four percent.', { userId: 'alice', infer: false });
    await before.close();

    const model = modelWithSettings(E5_STYLE);
    await expect(Memory.open({ path, embedder: { model }, llm: null })).rejects.toMatchObject({
      code: 'EMBEDDING_MISMATCH',
      message: expect.stringContaining('engram reindex'),
    });

    const reindexed = await Memory.reindex({ path, embedder: { model } });
    expect(reindexed).toMatchObject({ reembedded: 2, model: 'engram/test-glove-sif-100d (query: "query: ", document: "passage: ")' });
    const after = closeAfterTest(await Memory.open({ path, embedder: { model }, llm: null }));
    const { results } = await after.search('pet dog', { userId: 'alice' });
    expect(results[0]?.memory).toBe('My sister adopted a puppy last spring.');
  });
});

describe('the embedder option of Memory.open', () => {
  it('takes queryPrefix and documentPrefix beside the model folder (the file is then bound to the model with them)', async () => {
    const path = tempDbPath();
    const prefixed = await Memory.open({ path, llm: null, embedder: { model: TEST_EMBEDDING_MODEL, queryPrefix: 'query: ', documentPrefix: 'passage: ' } });
    await prefixed.add('I live in Lyon.', { userId: 'u', infer: false });
    await prefixed.close();
    await expect(Memory.open({ path, llm: null, embedder: { model: TEST_EMBEDDING_MODEL } })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
  });
});
