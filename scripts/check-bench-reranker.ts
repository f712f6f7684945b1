/**
 * Loads models/bench/ms-marco-minilm-l6-random through TransformersReranker (offline) in
 * both dtypes, checks the scores (finite, one per document, padding-invariant in fp32,
 * int8 close to fp32) and measures (query, memory) pairs/s at batch 1 and 32.
 * Run scripts/make-bench-models.ts first.
 *
 *   npx tsx scripts/check-bench-reranker.ts [--threads1]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TransformersReranker } from '../src/rerank/transformers-reranker.js';
import { sampleParagraphs, sampleSentences } from './lib/embedding-check.js';
import { parseFlags, projectRoot, runScript } from './lib/script-cli.js';

const MODEL_DIR = join(projectRoot, 'models', 'bench', 'ms-marco-minilm-l6-random');
const QUERY = 'What restaurant does my sister like?';

runScript(async () => {
  const { threads1 } = parseFlags(process.argv.slice(2), ['threads1']);
  if (!existsSync(join(MODEL_DIR, 'onnx', 'model.onnx'))) throw new Error(`${MODEL_DIR} not found: run npx tsx scripts/make-bench-models.ts`);
  const documents = [...sampleSentences(4), '!!!', '', 'x '.repeat(600)];
  const scores = new Map<'fp32' | 'q8', number[]>();

  for (const dtype of ['fp32', 'q8'] as const) {
    const reranker = new TransformersReranker({ model: MODEL_DIR, dtype, batchSize: 32, threads: threads1 ? 1 : undefined });
    const loadStart = performance.now();
    const first = await reranker.score(QUERY, documents);
    console.log(`${dtype}: loaded and scored ${documents.length} pairs in ${Math.round(performance.now() - loadStart)} ms`);
    if (first.length !== documents.length || !first.every(Number.isFinite)) throw new Error(`${dtype}: expected ${documents.length} finite scores, got ${first.join(', ')}`);
    console.log(`  scores: ${first.map((s) => s.toFixed(4)).join(' ')}`);
    scores.set(dtype, first);

    // The attention mask must hide padding: a pair scored alone and next to a longer one must agree.
    const [alone] = await reranker.score(QUERY, ['the dog sleeps']);
    const [padded] = await reranker.score(QUERY, ['the dog sleeps', sampleParagraphs(1)[0] ?? '']);
    const gap = Math.abs((alone ?? 0) - (padded ?? 0));
    console.log(`  padding invariance: |alone − padded| = ${gap.toExponential(2)}`);
    if (dtype === 'fp32' && gap > 1e-4) throw new Error('fp32: padding changes the score: the attention mask is not applied');

    for (const [label, texts] of [['sentences (~30 tokens a pair)', sampleSentences(320)], ['paragraphs (~110 tokens a pair)', sampleParagraphs(160)]] as const) {
      for (const batch of [1, 32]) {
        const rate = await pairsPerSecond(reranker, batch === 1 ? texts.slice(0, 64) : texts, batch);
        console.log(`  ${label}, batch ${String(batch).padStart(2)}: ${Math.round(rate)} pairs/s`);
      }
    }
    await reranker.dispose();
  }

  const fp32 = scores.get('fp32') ?? [];
  const q8 = scores.get('q8') ?? [];
  const error = Math.max(...fp32.map((s, i) => Math.abs(s - (q8[i] ?? Number.NaN))));
  const spread = Math.max(...fp32) - Math.min(...fp32);
  console.log(`max |fp32 − q8| = ${error.toFixed(4)}; fp32 score spread = ${spread.toFixed(4)}`);
  if (!(error < Math.max(spread, 0.05))) throw new Error('q8 scores do not follow fp32 scores: the quantized graph is wrong');
});

/** Pairs scored per second when `documents` are sent `batchSize` at a time (after one warm-up call). */
async function pairsPerSecond(reranker: TransformersReranker, documents: readonly string[], batchSize: number): Promise<number> {
  await reranker.score(QUERY, documents.slice(0, batchSize));
  const start = performance.now();
  for (let i = 0; i < documents.length; i += batchSize) await reranker.score(QUERY, documents.slice(i, i + batchSize));
  return documents.length / ((performance.now() - start) / 1000);
}
