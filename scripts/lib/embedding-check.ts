/**
 * Helpers for the check-* scripts: load a generated model folder through the public
 * transformers.js pipeline (offline, exactly as the app would), compare embeddings,
 * and measure throughput.
 */
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { dirname, basename } from 'node:path';

export type Dtype = 'fp32' | 'q8';

/** Loads `modelDir` (…/<parent>/<name>) with remote models disabled. */
export async function loadExtractor(modelDir: string, dtype: Dtype): Promise<FeatureExtractionPipeline> {
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(modelDir)}/`;
  return pipeline('feature-extraction', basename(modelDir), { dtype });
}

/** Mean-pooled, L2-normalized embeddings as plain rows. */
export async function embed(extractor: FeatureExtractionPipeline, texts: string[]): Promise<Float32Array[]> {
  const output = await extractor(texts, { pooling: 'mean', normalize: true });
  const [rows, dims] = output.dims;
  if (rows === undefined || dims === undefined) throw new Error(`unexpected output dims [${output.dims.join(', ')}]`);
  const data = output.data as Float32Array;
  return Array.from({ length: rows }, (_, i) => data.slice(i * dims, (i + 1) * dims));
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

export function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** Throws unless every embedding is finite and unit-norm. */
export function assertUnitFinite(label: string, vectors: readonly Float32Array[], dims: number): void {
  for (const v of vectors) {
    if (v.length !== dims) throw new Error(`${label}: dimension ${v.length}, expected ${dims}`);
    if (!v.every(Number.isFinite)) throw new Error(`${label}: non-finite values`);
    if (Math.abs(norm(v) - 1) > 1e-3) throw new Error(`${label}: norm ${norm(v)}, expected 1`);
  }
}

/** Everyday sentences of 8–16 words, like memories an assistant would store. */
export function sampleSentences(count: number): string[] {
  const subjects = ['My sister', 'The new manager', 'Our neighbour', 'My doctor', 'The team lead', 'My best friend', 'Grandma', 'The landlord'];
  const verbs = ['mentioned that she prefers', 'decided to start', 'is worried about', 'recommended', 'keeps forgetting', 'wants to plan'];
  const objects = [
    'a quiet vegetarian restaurant near the station',
    'weekly running sessions in the park before work',
    'the quarterly budget review scheduled for next Tuesday',
    'a trip to Lisbon with the whole family in October',
    'learning Spanish with an app every evening',
    'the leaking kitchen sink and the broken dishwasher',
  ];
  return Array.from({ length: count }, (_, i) => {
    const s = subjects[i % subjects.length] ?? '';
    const v = verbs[Math.floor(i / subjects.length) % verbs.length] ?? '';
    const o = objects[Math.floor(i / (subjects.length * verbs.length)) % objects.length] ?? '';
    return `${s} ${v} ${o} (note ${i}).`;
  });
}

/** Paragraph-sized texts (five sample sentences, ≈ 100 BERT tokens). */
export function sampleParagraphs(count: number): string[] {
  const sentences = sampleSentences(count * 5);
  return Array.from({ length: count }, (_, i) => sentences.slice(i * 5, i * 5 + 5).join(' '));
}

/** Embeddings per second when `texts` are sent `batchSize` at a time (after one warm-up call). */
export async function throughput(extractor: FeatureExtractionPipeline, texts: readonly string[], batchSize: number): Promise<number> {
  await embed(extractor, texts.slice(0, batchSize));
  const start = performance.now();
  for (let i = 0; i < texts.length; i += batchSize) await embed(extractor, texts.slice(i, i + batchSize));
  return texts.length / ((performance.now() - start) / 1000);
}
