import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransformersReranker, type Reranker } from 'engram-memory';
import { isReranker } from '../src/rerank/reranker.js';
import { KeywordReranker } from './support/keyword-reranker.js';
import { TEST_EMBEDDING_MODEL, TEST_RERANKER_MODEL, tempDir } from './support/test-memory.js';

/**
 * How far a score may move when the same pair is scored in another batch. Exact for
 * fp32 and the double; int8 models quantize activations with one scale per batch
 * (dynamic quantization), so their scores move a little with the batch's other pairs.
 */
type Implementation = [name: string, create: () => Reranker, batchTolerance: number];

const IMPLEMENTATIONS: Implementation[] = [
  ['TransformersReranker (generated test model, int8)', () => new TransformersReranker({ model: TEST_RERANKER_MODEL, batchSize: 3 }), 0.05],
  ['TransformersReranker (generated test model, fp32)', () => new TransformersReranker({ model: TEST_RERANKER_MODEL, batchSize: 3, dtype: 'fp32' }), 1e-4],
  ['KeywordReranker (test double)', () => new KeywordReranker(), 0],
];

const QUERY = 'What does the cat do on the mat?';
const DOCUMENTS = [
  'The cat sat on the mat.',
  'Quarterly revenue grew by ten percent.',
  'zxqv blorf',
  '!!!',
  '',
  'I like tea',
  'Ich trinke gern Tee — 🍵',
  'A',
  `The cat ${'sleeps and purrs and '.repeat(400)}`, // far beyond 512 tokens: truncated, not an error
];

describe.each(IMPLEMENTATIONS)('Reranker contract: %s', (_name, create, tolerance) => {
  it('has an id and passes isReranker', async () => {
    const reranker = create();
    expect(reranker.id.length).toBeGreaterThan(0);
    expect(isReranker(reranker)).toBe(true);
    await reranker.dispose?.();
  });

  it('returns one finite number per document, in order', async () => {
    const reranker = create();
    const scores = await reranker.score(QUERY, DOCUMENTS);
    expect(scores).toHaveLength(DOCUMENTS.length);
    for (const score of scores) {
      expect(typeof score).toBe('number');
      expect(Number.isFinite(score)).toBe(true);
    }
    expect(new Set(scores).size).toBeGreaterThan(1); // not a constant
    await reranker.dispose?.();
  });

  it('is deterministic and independent of batching and order', async () => {
    const reranker = create();
    const batch = await reranker.score(QUERY, DOCUMENTS);
    expect(await reranker.score(QUERY, DOCUMENTS)).toEqual(batch);
    const reversed = (await reranker.score(QUERY, [...DOCUMENTS].reverse())).reverse();
    const single = await Promise.all(DOCUMENTS.map(async (document) => (await reranker.score(QUERY, [document]))[0]!));
    DOCUMENTS.forEach((_document, i) => {
      expect(Math.abs(reversed[i]! - batch[i]!)).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(single[i]! - batch[i]!)).toBeLessThanOrEqual(tolerance);
    });
    await reranker.dispose?.();
  });

  it('scores an empty list as an empty list, and the same document the same wherever it appears', async () => {
    const reranker = create();
    expect(await reranker.score(QUERY, [])).toEqual([]);
    const [first, , third] = await reranker.score(QUERY, ['I like tea', 'zxqv blorf', 'I like tea']);
    expect(Math.abs(first! - third!)).toBeLessThanOrEqual(tolerance);
    await reranker.dispose?.();
  });
});

describe('isReranker', () => {
  it('accepts plain objects with an id and a score function, and nothing else', () => {
    expect(isReranker({ id: 'mine', score: async () => [] })).toBe(true);
    expect(isReranker({ id: 'mine', score: async () => [], dispose: async () => undefined })).toBe(true);
    for (const value of [null, undefined, 'reranker', {}, { id: '', score: async () => [] }, { id: 'x' }, { id: 'x', score: 1 }, { id: 'x', score: async () => [], dispose: 1 }]) {
      expect(isReranker(value)).toBe(false);
    }
  });
});

describe('KeywordReranker', () => {
  it('counts the query words found in each document', async () => {
    expect(await new KeywordReranker().score('Cat on the MAT', ['the cat sat on the mat', 'a dog', 'cats'])).toEqual([4, 0, 0]);
  });
});

describe('TransformersReranker', () => {
  /** A copy of the test model to damage. */
  function copyOfTestModel(name = 'reranker'): string {
    const folder = join(tempDir(), name);
    cpSync(TEST_RERANKER_MODEL, folder, { recursive: true });
    return folder;
  }

  it('is named by the config’s _name_or_path, and loads nothing before the first score', () => {
    const reranker = new TransformersReranker({ model: TEST_RERANKER_MODEL });
    expect(reranker.id).toBe('engram/test-cross-encoder-random');
    const folder = copyOfTestModel();
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete config._name_or_path;
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    // Weights are read lazily: a corrupt onnx file does not fail the constructor.
    writeFileSync(join(folder, 'onnx', 'model_quantized.onnx'), 'not onnx');
    expect(new TransformersReranker({ model: folder }).id).toBe('reranker');
  });

  it('prefers quantized weights and falls back to full precision; a missing dtype file is MODEL_NOT_FOUND', async () => {
    const pairs: [string, string[]] = [QUERY, DOCUMENTS.slice(0, 4)];
    const q8 = await new TransformersReranker({ model: TEST_RERANKER_MODEL, dtype: 'q8' }).score(...pairs);
    const fp32 = await new TransformersReranker({ model: TEST_RERANKER_MODEL, dtype: 'fp32' }).score(...pairs);
    expect(await new TransformersReranker({ model: TEST_RERANKER_MODEL }).score(...pairs)).toEqual(q8);
    expect(q8).not.toEqual(fp32);

    const folder = copyOfTestModel();
    rmSync(join(folder, 'onnx', 'model_quantized.onnx'));
    const fallback = new TransformersReranker({ model: folder });
    expect(await fallback.score(...pairs)).toEqual(fp32);
    await fallback.dispose();
    expect(() => new TransformersReranker({ model: folder, dtype: 'q8' })).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('onnx/model_quantized.onnx') }),
    );
  });

  it('fails with MODEL_NOT_FOUND, saying what to do, for a folder without a model', () => {
    expect(() => new TransformersReranker({ model: join(tempDir(), 'absent') })).toThrow(
      expect.objectContaining({ name: 'EngramError', code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/reranker\.model.*models:test/s) }),
    );
    const folder = copyOfTestModel();
    rmSync(join(folder, 'tokenizer.json'));
    expect(() => new TransformersReranker({ model: folder })).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('missing tokenizer.json') }),
    );
  });

  it('fails with MODEL_LOAD_FAILED for corrupt weights, and recovers once the files are fixed', async () => {
    const folder = copyOfTestModel('corrupt');
    const quantized = join(folder, 'onnx', 'model_quantized.onnx');
    writeFileSync(quantized, readFileSync(join(folder, 'tokenizer_config.json')));
    const reranker = new TransformersReranker({ model: folder });
    await expect(reranker.score(QUERY, ['hello'])).rejects.toMatchObject({ name: 'EngramError', code: 'MODEL_LOAD_FAILED' });
    cpSync(join(TEST_RERANKER_MODEL, 'onnx', 'model_quantized.onnx'), quantized);
    expect(await reranker.score(QUERY, ['hello'])).toHaveLength(1);
    await reranker.dispose();
  });

  it('refuses a model that is not a cross-encoder (MODEL_LOAD_FAILED)', async () => {
    // An embedding model says so in its config.json…
    expect(() => new TransformersReranker({ model: TEST_EMBEDDING_MODEL })).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED', message: expect.stringContaining('not a cross-encoder') }),
    );
    // …and one whose weights give no logits is caught at the first score.
    const folder = copyOfTestModel('no-logits');
    cpSync(join(TEST_EMBEDDING_MODEL, 'onnx', 'model_quantized.onnx'), join(folder, 'onnx', 'model_quantized.onnx'));
    await expect(new TransformersReranker({ model: folder }).score(QUERY, ['hello'])).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });

  it('cuts pairs at maxLength tokens: documents that differ only beyond it score the same', async () => {
    // [CLS] cat [SEP] + 5 document tokens = 8
    const reranker = new TransformersReranker({ model: TEST_RERANKER_MODEL, dtype: 'fp32', maxLength: 8 });
    const [a, b, c] = await reranker.score('cat', ['one two three four five six', 'one two three four five seven', 'one two three four eight']);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    await reranker.dispose();
  });

  it('loads again after dispose, and rejects invalid options', async () => {
    const reranker = new TransformersReranker({ model: TEST_RERANKER_MODEL });
    const before = await reranker.score(QUERY, ['I like tea']);
    await reranker.dispose();
    await reranker.dispose(); // idempotent
    expect(await reranker.score(QUERY, ['I like tea'])).toEqual(before);
    await reranker.dispose();
    for (const options of [{ batchSize: 0 }, { batchSize: 1.5 }, { maxLength: -1 }]) {
      expect(() => new TransformersReranker({ model: TEST_RERANKER_MODEL, ...options })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});
