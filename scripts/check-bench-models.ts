/**
 * Loads models/bench/minilm-random through transformers.js (offline) in both dtypes,
 * checks the outputs (384 dims, finite, unit norm; int8 close to fp32) and measures
 * embeddings/s at batch 1 and 32. Run scripts/make-bench-models.ts first.
 *
 *   npx tsx scripts/check-bench-models.ts
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { assertUnitFinite, embed, loadExtractor, sampleParagraphs, sampleSentences, throughput, type Dtype } from './lib/embedding-check.js';
import { projectRoot, runScript } from './lib/script-cli.js';

const MODEL_DIR = join(projectRoot, 'models', 'bench', 'minilm-random');
const DIMS = 384;

runScript(async () => {
  if (!existsSync(join(MODEL_DIR, 'onnx', 'model.onnx'))) throw new Error(`${MODEL_DIR} not found: run npx tsx scripts/make-bench-models.ts`);
  const texts = [...sampleSentences(4), '!!!', '', 'x '.repeat(600)];
  const outputs = new Map<Dtype, Float32Array[]>();

  for (const dtype of ['fp32', 'q8'] as const) {
    const loadStart = performance.now();
    const extractor = await loadExtractor(MODEL_DIR, dtype);
    const session = (extractor.model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions['model'];
    console.log(`${dtype}: loaded in ${Math.round(performance.now() - loadStart)} ms; session inputs: ${session?.inputNames.join(', ')}`);
    const vectors = await embed(extractor, texts);
    assertUnitFinite(dtype, vectors, DIMS);
    outputs.set(dtype, vectors);
    console.log(`  ${vectors.length} embeddings (incl. empty text and a 600-token text): ${DIMS} dims, finite, unit norm`);
    await checkPaddingInvariance(extractor, dtype);
    for (const [label, texts] of [['sentences (~20 tokens)', sampleSentences(640)], ['paragraphs (~100 tokens)', sampleParagraphs(320)]] as const) {
      for (const batch of [1, 32]) {
        const rate = await throughput(extractor, batch === 1 ? texts.slice(0, 160) : texts, batch);
        console.log(`  ${label}, batch ${String(batch).padStart(2)}: ${Math.round(rate)} embeddings/s`);
      }
    }
    await extractor.dispose();
  }

  // Random weights make all outputs similar (cosine ≈ 0.99 between unrelated texts), so
  // compare the int8 error with the distance between different texts instead.
  const fp32 = outputs.get('fp32') ?? [];
  const q8 = outputs.get('q8') ?? [];
  const quantError = mean(fp32.map((v, i) => distance(v, q8[i] ?? new Float32Array(DIMS))));
  const textSpread = mean(fp32.slice(1).map((v, i) => distance(v, fp32[i] ?? v)));
  console.log(`|fp32 − q8| per text: ${quantError.toFixed(4)}; |text i − text i+1| (fp32): ${textSpread.toFixed(4)}`);
  if (!(quantError < textSpread / 2)) throw new Error('q8 output does not follow fp32 output: the quantized graph is wrong');
});

/**
 * The attention mask must hide padding: a text embedded alone and next to a longer
 * one (so padded) must give the same vector. In q8 the activation scale is computed
 * over the whole padded batch, so there it is only close.
 */
async function checkPaddingInvariance(extractor: FeatureExtractionPipeline, dtype: Dtype): Promise<void> {
  const [alone] = await embed(extractor, ['the dog sleeps']);
  const [padded] = await embed(extractor, ['the dog sleeps', sampleParagraphs(1)[0] ?? '']);
  if (!alone || !padded) throw new Error('missing embeddings');
  const gap = distance(alone, padded);
  console.log(`  padding invariance: |alone − padded| = ${gap.toExponential(2)}`);
  if (gap > (dtype === 'fp32' ? 1e-4 : 0.05)) throw new Error(`${dtype}: padding changes the embedding: the attention mask is not applied`);
}

function distance(a: Float32Array, b: Float32Array): number {
  return Math.sqrt(a.reduce((sum, x, i) => sum + (x - (b[i] ?? 0)) ** 2, 0));
}

function mean(values: readonly number[]): number {
  return values.reduce((s, x) => s + x, 0) / values.length;
}
