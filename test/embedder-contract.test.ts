import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpenAiCompatibleEmbedder, TransformersEmbedder, type Embedder } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { startOpenAiStub } from './support/openai-stub-server.js';
import { TEST_EMBEDDING_MODEL, tempDir } from './support/test-memory.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);
const norm = (a: Float32Array) => Math.sqrt(cosine(a, a));

/** The generated model with E5's query and document prefixes in its engram.json. */
function prefixedTestModel(): string {
  const folder = join(tempDir(), 'prefixed-model');
  cpSync(TEST_EMBEDDING_MODEL, folder, { recursive: true });
  writeFileSync(join(folder, 'engram.json'), JSON.stringify({ queryPrefix: 'query: ', documentPrefix: 'passage: ' }));
  return folder;
}

/** An OpenAiCompatibleEmbedder on a stub server that answers hash vectors, out of order, in small batches. */
async function stubbedServerEmbedder(): Promise<Embedder> {
  const stub = await startOpenAiStub({ dimension: 24, reverseOrder: true });
  return OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'stub-embed', batchSize: 3, queryPrefix: 'search_query: ' });
}

const IMPLEMENTATIONS: [string, () => Embedder | Promise<Embedder>][] = [
  ['TransformersEmbedder (generated test model)', () => new TransformersEmbedder({ model: TEST_EMBEDDING_MODEL, batchSize: 4 })],
  ['TransformersEmbedder (generated test model, query and document prefixes)', () => new TransformersEmbedder({ model: prefixedTestModel(), batchSize: 4 })],
  ['HashingEmbedder (test double)', () => new HashingEmbedder(24)],
  ['OpenAiCompatibleEmbedder (local stub server)', stubbedServerEmbedder],
];

describe.each(IMPLEMENTATIONS)('Embedder contract: %s', (_name, create) => {
  const texts = ['The cat sat on the mat.', 'Quarterly revenue grew.', 'zxqv blorf', '!!!', 'I like tea', 'Ich trinke gern Tee', 'A', 'Bob'];

  it('returns one finite vector of `dimension` per text, unit length or zero', async () => {
    const embedder = await create();
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(embedder.dimension);
      expect(vector.every(Number.isFinite)).toBe(true);
      const length = norm(vector);
      expect(length === 0 || Math.abs(length - 1) < 1e-4).toBe(true);
    }
    await embedder.dispose?.();
  });

  it('is deterministic and independent of batching and order', async () => {
    const embedder = await create();
    const batch = await embedder.embed(texts);
    const reversed = (await embedder.embed([...texts].reverse())).reverse();
    const single = await Promise.all(texts.map(async (t) => (await embedder.embed([t]))[0]!));
    texts.forEach((_t, i) => {
      expect(cosine(batch[i]!, reversed[i]!)).toBeCloseTo(norm(batch[i]!) ** 2, 4);
      expect(cosine(batch[i]!, single[i]!)).toBeCloseTo(norm(batch[i]!) ** 2, 4);
    });
    expect(await embedder.embed([])).toEqual([]);
    await embedder.dispose?.();
  });

  it('embeds queries too: `embed(texts, "query")` returns the same kind of vectors, deterministically', async () => {
    const embedder = await create();
    const queries = await embedder.embed(texts, 'query');
    expect(queries).toHaveLength(texts.length);
    for (const vector of queries) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(embedder.dimension);
      expect(vector.every(Number.isFinite)).toBe(true);
      const length = norm(vector);
      expect(length === 0 || Math.abs(length - 1) < 1e-4).toBe(true);
    }
    const again = await embedder.embed([...texts].reverse(), 'query');
    texts.forEach((_t, i) => expect(cosine(queries[i]!, again[texts.length - 1 - i]!)).toBeCloseTo(norm(queries[i]!) ** 2, 4));
    expect(await embedder.embed([], 'query')).toEqual([]);
    await embedder.dispose?.();
  });
});

describe('TransformersEmbedder', () => {
  it('carries meaning: related sentences are closer than unrelated ones', async () => {
    const embedder = new TransformersEmbedder({ model: TEST_EMBEDDING_MODEL });
    const [dog, puppy, revenue, profits] = await embedder.embed(['dog in the park', 'puppy playing with balls', 'quarterly revenue', 'profits']);
    expect(cosine(dog!, puppy!)).toBeGreaterThan(cosine(dog!, revenue!) + 0.2);
    expect(cosine(revenue!, profits!)).toBeGreaterThan(cosine(revenue!, puppy!) + 0.2);
    expect(embedder.id).toBe('engram/test-glove-sif-100d');
    expect(embedder.dimension).toBe(100);
  });

  it('prefers quantized weights, falls back to full precision, and names a missing file', async () => {
    const folder = join(tempDir(), 'model');
    cpSync(TEST_EMBEDDING_MODEL, folder, { recursive: true });
    rmSync(join(folder, 'onnx', 'model_quantized.onnx'));
    const fallback = new TransformersEmbedder({ model: folder });
    expect((await fallback.embed(['hello world']))[0]).toHaveLength(100);
    await fallback.dispose();
    expect(() => new TransformersEmbedder({ model: folder, dtype: 'q8' })).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
  });

  it('pools as the folder’s engram.json says (e.g. [CLS] for BGE), unless told otherwise', async () => {
    const folder = join(tempDir(), 'cls-model');
    cpSync(TEST_EMBEDDING_MODEL, folder, { recursive: true });
    writeFileSync(join(folder, 'engram.json'), JSON.stringify({ pooling: 'cls' }));
    const texts = ['dog in the park', 'quarterly revenue'];
    // The test model puts the same [CLS] vector first in every text: CLS pooling makes all texts alike.
    const [a, b] = await new TransformersEmbedder({ model: folder }).embed(texts);
    expect(cosine(a!, b!)).toBeGreaterThan(0.999);
    const [c, d] = await new TransformersEmbedder({ model: folder, pooling: 'mean' }).embed(texts);
    expect(cosine(c!, d!)).toBeLessThan(0.5);
  });

  it('fails with MODEL_NOT_FOUND for a folder without a model, and MODEL_LOAD_FAILED for a corrupt one', async () => {
    expect(() => new TransformersEmbedder({ model: join(tempDir(), 'absent') })).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
    const folder = join(tempDir(), 'corrupt');
    cpSync(TEST_EMBEDDING_MODEL, folder, { recursive: true });
    rmSync(join(folder, 'onnx', 'model_quantized.onnx'));
    cpSync(join(folder, 'tokenizer_config.json'), join(folder, 'onnx', 'model.onnx'));
    const corrupt = new TransformersEmbedder({ model: folder });
    await expect(corrupt.embed(['hello'])).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
