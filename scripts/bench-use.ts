/**
 * What decay by use costs a search (a script, not a test):
 *   npm run bench:use                # 10,000 memories in one scope
 *   npm run bench:use -- --quick     # 2,000
 *   npm run bench:use -- --postgres  # on PostgreSQL: PGlite (WASM, in this process), not a native server
 *
 * One store, user 'big' with N memories (hashed-word vectors: the store's cost,
 * not a model's). 200 hybrid searches (limit 10) one after another, then 200
 * more 8 at a time, each way:
 *   1. no policy: nothing is written;
 *   2. policy trackAccess: each search marks its results used, behind the answer;
 *   3. the same, ranking with recency from access (one more read per search).
 * A search answers before its use is written; the time to write what is left
 * when the searches end is reported too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector as pgvector } from '@electric-sql/pglite-pgvector';
import { Memory, type SearchOptions } from '../src/index.js';
import { PostgresStorage } from '../src/engines/postgres/postgres-storage.js';
import { HashedWordsEmbedder } from './bench/hashed-words.js';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';
import { parseFlags, runScript } from './lib/script-cli.js';

const BATCH = 100;
const USER = { userId: 'big' };
const PARALLEL = 8;

type Row = { label: string; serial: number[]; parallelMs: number; parallelCount: number };

async function searchSerially(memory: Memory, queries: readonly string[], extra: Partial<SearchOptions>): Promise<number[]> {
  const samples: number[] = [];
  for (const query of queries) {
    const start = performance.now();
    await memory.search(query, { ...USER, limit: 10, ...extra });
    samples.push(performance.now() - start);
  }
  return samples;
}

async function searchInParallel(memory: Memory, queries: readonly string[], extra: Partial<SearchOptions>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < queries.length) await memory.search(queries[next++] as string, { ...USER, limit: 10, ...extra });
    }),
  );
  return performance.now() - start;
}

runScript(async () => {
  const flags = parseFlags(process.argv.slice(2), ['quick', 'postgres']);
  const n = flags.quick ? 2_000 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-use-'));
  const embedder = new HashedWordsEmbedder(384);
  const pglite = flags.postgres ? await PGlite.create({ extensions: { vector: pgvector } }) : undefined;
  const open = async () =>
    pglite ? Memory.open({ storage: await PostgresStorage.open({ pglite }), embedder, llm: null }) : Memory.open({ path: join(dir, 'bench.db'), embedder, llm: null });
  let memory = await open();
  try {
    const random = seededRandom(7);
    for (let i = 0; i < n; i += BATCH) {
      const messages = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => ({ role: 'user' as const, content: sentence(i + j, random) }));
      await memory.add(messages, { ...USER, infer: false });
    }
    const queries = Array.from({ length: 200 }, (_, i) => sentence(1_000_000 + i, seededRandom(1_000 + i)));

    // One untimed pass first, so the first way measured does not pay for warming up.
    await searchSerially(memory, queries, {});
    const rows: Row[] = [];
    const settleMs: string[] = [];
    const ways: [string, Partial<SearchOptions>, boolean][] = [
      ['no policy', {}, false],
      ['trackAccess', {}, true],
      ['trackAccess + recency from access', { recency: { halfLifeDays: 30, weight: 0.2, from: 'access' } }, true],
    ];
    for (const [label, extra, track] of ways) {
      await memory.setPolicy(track ? { trackAccess: true } : null);
      await memory.search('warm up', USER);
      const serial = await searchSerially(memory, queries, extra);
      const parallelMs = await searchInParallel(memory, queries, extra);
      // close() waits for the uses still to write: how long the writes lag behind the searches.
      const start = performance.now();
      await memory.close();
      settleMs.push(`${label}: ${fmt(performance.now() - start, 1)} ms`);
      memory = await open();
      rows.push({ label, serial, parallelMs, parallelCount: queries.length });
    }

    console.log(`\nDecay by use: one scope of ${n} memories, ${pglite ? 'PostgreSQL (PGlite)' : 'SQLite'}, hashed-word vectors (384-d), hybrid search, limit 10\n`);
    console.log(`| searches | one at a time: p50 / p95 ms | ${PARALLEL} at a time: searches/s |`);
    console.log('|---|---|---|');
    for (const row of rows) {
      console.log(`| ${row.label} | ${fmt(percentile(row.serial, 50))} / ${fmt(percentile(row.serial, 95))} | ${Math.round(row.parallelCount / (row.parallelMs / 1000))} |`);
    }
    console.log(`\nclose() after the searches, which waits for the uses still to write: ${settleMs.join('; ')}`);
    const marked = (await memory.search(queries[0] as string, { ...USER, limit: 10, recency: { halfLifeDays: 30, weight: 0.2, from: 'access' }, explain: true })).results;
    if (!marked.some((r) => (r.signals?.recency ?? 0) > 0.99)) throw new Error('no search result was marked used');
  } finally {
    await memory.close();
    await pglite?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
