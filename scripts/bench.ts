/**
 * Engram's speed figures (a script, not a test):
 *   npm run bench              # everything
 *   npm run bench -- --quick   # 1k memories only, fewer queries
 *
 * 1. add(infer: false) throughput with the generated test embedder.
 * 2. search latency p50/p95 at 1k and 10k memories in one scope: the whole
 *    search() call with a fresh query, and the store part alone (query embedded beforehand).
 * 3. embeddings/s with a random-weight model of all-MiniLM-L6-v2's shape, batch 1 and 32.
 * 4. peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Memory, TransformersEmbedder, type Embedder } from '../src/index.js';
import { fmt, peakRssMiB, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const TEST_MODEL = join(root, 'models/test/embedding');
const MINILM = join(root, 'models/bench/minilm-random');

/** Wraps an embedder to time the store without the query embedding: vectors are computed up front. */
class PrecomputedEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  private readonly cache = new Map<string, Float32Array>();
  constructor(private readonly inner: Embedder) {
    this.id = inner.id;
    this.dimension = inner.dimension;
  }
  async warm(texts: string[]): Promise<void> {
    const vectors = await this.inner.embed(texts);
    texts.forEach((t, i) => this.cache.set(t, vectors[i] as Float32Array));
  }
  async embed(texts: string[]): Promise<Float32Array[]> {
    const missing = texts.filter((t) => !this.cache.has(t));
    if (missing.length > 0) await this.warm(missing);
    return texts.map((t) => this.cache.get(t) as Float32Array);
  }
}

function ensureModels(): void {
  const tsx = [process.execPath, '--import', 'tsx'];
  if (!existsSync(TEST_MODEL)) execFileSync(tsx[0] as string, [...tsx.slice(1), 'scripts/make-test-models.ts'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(MINILM)) execFileSync(tsx[0] as string, [...tsx.slice(1), 'scripts/make-bench-models.ts'], { cwd: root, stdio: 'inherit' });
}

async function benchAddAndSearch(size: number, dir: string): Promise<void> {
  const random = seededRandom(size);
  const embedder = new PrecomputedEmbedder(new TransformersEmbedder({ model: TEST_MODEL }));
  const memory = await Memory.open({ path: join(dir, `bench-${size}.db`), embedder });
  const texts = Array.from({ length: size }, (_, i) => sentence(i, random));

  // Throughput with real embedding: batches of 20 messages (a conversation chunk), embedder included.
  const batch = 20;
  const realEmbedder = new TransformersEmbedder({ model: TEST_MODEL });
  const throughputMemory = await Memory.open({ path: join(dir, `throughput-${size}.db`), embedder: realEmbedder });
  await realEmbedder.embed(['load the model before timing']);
  const addStart = performance.now();
  for (let i = 0; i < Math.min(size, 2_000); i += batch) {
    const chunk = texts.slice(i, i + batch).map((content) => ({ role: 'user' as const, content }));
    await throughputMemory.add(chunk, { userId: 'bench', infer: false });
  }
  const added = Math.min(size, 2_000);
  const addSeconds = (performance.now() - addStart) / 1000;
  const single: number[] = [];
  for (let i = 0; i < (quick ? 50 : 200); i++) {
    const start = performance.now();
    await throughputMemory.add(sentence(size * 10 + i, random), { userId: 'bench', infer: false });
    single.push(performance.now() - start);
  }
  await throughputMemory.close();

  // Fill the measured store with precomputed vectors (fast), then time searches.
  await embedder.warm(texts);
  for (let i = 0; i < size; i += 100) {
    await memory.add(
      texts.slice(i, i + 100).map((content) => ({ role: 'user' as const, content })),
      { userId: 'bench', infer: false },
    );
  }
  const queries = Array.from({ length: quick ? 50 : 200 }, (_, i) => sentence(size + i, random).replace(/\(note \d+\)\./, ''));

  // Whole search() with the query embedded each time (fresh queries, no cache hits).
  const fresh = await Memory.open({ path: join(dir, `bench-${size}.db`), embedder: new TransformersEmbedder({ model: TEST_MODEL }) });
  await fresh.search('warm up the model', { userId: 'bench' });
  const whole: number[] = [];
  for (const query of queries) {
    const start = performance.now();
    await fresh.search(query, { userId: 'bench', limit: 10 });
    whole.push(performance.now() - start);
  }
  await fresh.close();

  // Store only: the same queries, embedded beforehand.
  await embedder.warm(queries);
  const storeOnly: number[] = [];
  for (const query of queries) {
    const start = performance.now();
    await memory.search(query, { userId: 'bench', limit: 10 });
    storeOnly.push(performance.now() - start);
  }
  const filtered: number[] = [];
  for (const query of queries) {
    const start = performance.now();
    await memory.search(query, { userId: 'bench', limit: 10, filters: { source: 'none' } });
    filtered.push(performance.now() - start);
  }
  await memory.close();

  console.log(`\n${size.toLocaleString('en-US')} memories in one scope`);
  console.log(`  add(infer: false), batches of ${batch}, test embedder included: ${fmt(added / addSeconds, 0)} memories/s (${added} memories)`);
  console.log(`  add(infer: false), one message per call:  p50 ${fmt(percentile(single, 50))} ms   p95 ${fmt(percentile(single, 95))} ms`);
  console.log(`  search(), query embedded:           p50 ${fmt(percentile(whole, 50))} ms   p95 ${fmt(percentile(whole, 95))} ms`);
  console.log(`  search(), store only:               p50 ${fmt(percentile(storeOnly, 50))} ms   p95 ${fmt(percentile(storeOnly, 95))} ms`);
  console.log(`  search() + a filter nothing passes: p50 ${fmt(percentile(filtered, 50))} ms   p95 ${fmt(percentile(filtered, 95))} ms (the filter read over the whole scope)`);
}

async function benchEmbedding(dtype: 'q8' | 'fp32', words: 'short' | 'long'): Promise<void> {
  const embedder = new TransformersEmbedder({ model: MINILM, dtype, batchSize: 32 });
  const random = seededRandom(7);
  // short: one sentence (~20 tokens); long: five sentences (~100 tokens), a typical chat turn.
  const text = (i: number) => (words === 'short' ? sentence(i, random) : Array.from({ length: 5 }, (_, j) => sentence(i * 5 + j, random)).join(' '));
  const texts = Array.from({ length: quick ? 64 : 128 }, (_, i) => text(i));
  await embedder.embed(texts.slice(0, 2)); // load + warm up
  let start = performance.now();
  const single = quick ? 32 : 100;
  for (const text of texts.slice(0, single)) await embedder.embed([text]);
  const perSecondBatch1 = single / ((performance.now() - start) / 1000);
  start = performance.now();
  await embedder.embed(texts);
  const perSecondBatch32 = texts.length / ((performance.now() - start) / 1000);
  await embedder.dispose();
  console.log(`  ${dtype.padEnd(4)} ${words.padEnd(5)}  batch 1: ${fmt(perSecondBatch1, 0)} embeddings/s   batch 32: ${fmt(perSecondBatch32, 0)} embeddings/s`);
}

async function main(): Promise<void> {
  ensureModels();
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-'));
  console.log(`Engram bench — Node ${process.version}, ${(await import('node:os')).cpus().length} cores${quick ? ', --quick' : ''}`);
  try {
    for (const size of quick ? [1_000] : [1_000, 10_000]) await benchAddAndSearch(size, dir);
    console.log('\nMiniLM-L6-shaped encoder (random weights, 6 layers, 384 hidden); short ≈ 20 tokens, long ≈ 100 tokens');
    for (const words of ['short', 'long'] as const) for (const dtype of ['q8', 'fp32'] as const) await benchEmbedding(dtype, words);
    console.log(`\npeak RSS: ${fmt(peakRssMiB(), 0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
