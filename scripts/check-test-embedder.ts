/**
 * Loads models/test/embedding through transformers.js (offline) and prints what the
 * test embedder does: cosines of related/unrelated pairs, degenerate inputs, speed.
 * Run scripts/make-test-models.ts first.   npx tsx scripts/check-test-embedder.ts
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertUnitFinite, cosine, embed, loadExtractor, sampleParagraphs, sampleSentences, throughput } from './lib/embedding-check.js';
import { projectRoot, runScript } from './lib/script-cli.js';

const MODEL_DIR = join(projectRoot, 'models', 'test', 'embedding');
const DIMS = 100;

const PAIRS: readonly (readonly [string, string])[] = [
  ['dog in the park', 'puppy playing with balls'],
  ['dog in the park', 'quarterly revenue'],
  ['puppy playing with balls', 'quarterly revenue'],
  ['revenue', 'profits'],
  ['I love pizza', 'my favorite food is pasta'],
  ['I love pizza', 'the server crashed last night'],
  ['My sister lives in Paris', 'her brother moved to London'],
  ['My sister lives in Paris', 'the database query is slow'],
  ['I am allergic to peanuts', 'what foods should I avoid'],
  ['I am allergic to peanuts', 'our team migrated to PostgreSQL'],
];

runScript(async () => {
  if (!existsSync(join(MODEL_DIR, 'onnx', 'model.onnx'))) throw new Error(`${MODEL_DIR} not found: run npx tsx scripts/make-test-models.ts`);
  const loadStart = performance.now();
  const extractor = await loadExtractor(MODEL_DIR, 'fp32');
  console.log(`loaded in ${Math.round(performance.now() - loadStart)} ms`);

  for (const [a, b] of PAIRS) {
    const [x, y] = await embed(extractor, [a, b]);
    if (!x || !y) throw new Error('missing embeddings');
    console.log(`  cos ${cosine(x, y).toFixed(3).padStart(6)}  "${a}" ~ "${b}"`);
  }

  const odd = ['!!!', 'zxqv blorf', '', '   ', 'dog', 'DOG', 'Dög!'];
  const oddVectors = await embed(extractor, odd);
  assertUnitFinite('degenerate inputs', oddVectors, DIMS);
  const tokenizer = extractor.tokenizer;
  for (const text of odd) console.log(`  ${JSON.stringify(text).padEnd(14)} → ids ${JSON.stringify(tokenizer.encode(text))}: finite, unit norm`);
  const [dog, dogUpper, dogAccent] = oddVectors.slice(4);
  if (!dog || !dogUpper || !dogAccent) throw new Error('missing embeddings');
  console.log(`  cos("dog", "DOG") = ${cosine(dog, dogUpper).toFixed(4)}, cos("dog", "Dög!") = ${cosine(dog, dogAccent).toFixed(4)}`);

  // Padding must not change an embedding: embed alone vs. in a batch with a long text.
  const [alone] = await embed(extractor, ['dog in the park']);
  const [padded] = await embed(extractor, ['dog in the park', 'a much longer sentence that forces padding of the first one']);
  if (!alone || !padded) throw new Error('missing embeddings');
  console.log(`  padding invariance: cos = ${cosine(alone, padded).toFixed(6)}`);

  for (const [label, texts] of [['sentences (~20 tokens)', sampleSentences(2048)], ['paragraphs (~100 tokens)', sampleParagraphs(1024)]] as const) {
    for (const batch of [1, 32]) {
      const rate = await throughput(extractor, batch === 1 ? texts.slice(0, 500) : texts, batch);
      console.log(`  ${label}, batch ${String(batch).padStart(2)}: ${Math.round(rate)} embeddings/s`);
    }
  }
});
