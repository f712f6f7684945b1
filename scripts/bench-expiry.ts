/**
 * What expiry costs the reads, and how fast a purge erases (a script, not a test):
 *   npm run bench:expiry            # 10,000 lasting + 10,000 expiring memories in one scope (≈ 1 min on 2 cores)
 *   npm run bench:expiry -- --quick # 2,000 + 2,000
 *   npm run bench:expiry -- --postgres   # on PostgreSQL: PGlite (WASM, in this process), not a native server
 *
 * One store (a SQLite file, or PGlite); user 'big' gets N lasting memories, then N more that expire
 * a few seconds after they are all stored (`add(..., { infer: false, expiresAt })`,
 * batches of 100). Embeddings: the hashed bag of words (bench/hashed-words.ts),
 * so the numbers are the store's, not a model's. Reads are measured
 *   1. with only the lasting memories;
 *   2. with the expiring ones too, before they expire (the scope's in-memory index holds both);
 *   3. after they expired, before a purge: every read filters them out, and the
 *      first searches retire them from the in-memory index (reported apart);
 *   4. after `purgeExpired()` (its rate is reported too).
 * Each read: hybrid search (limit 10) over 100 different queries, getAll (limit 50) and count, 50 times each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector as pgvector } from '@electric-sql/pglite-pgvector';
import { Memory } from '../src/index.js';
import { PostgresStorage } from '../src/engines/postgres/postgres-storage.js';
import { HashedWordsEmbedder } from './bench/hashed-words.js';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';
import { parseFlags, runScript } from './lib/script-cli.js';

const BATCH = 100;
const USER = { userId: 'big' };

type Reads = { search: number[]; list: number[]; count: number[] };

async function addMany(memory: Memory, from: number, n: number, random: () => number, expiresAt?: string): Promise<void> {
  for (let i = from; i < from + n; i += BATCH) {
    const messages = Array.from({ length: Math.min(BATCH, from + n - i) }, (_, j) => ({ role: 'user' as const, content: sentence(i + j, random) }));
    await memory.add(messages, { ...USER, infer: false, ...(expiresAt ? { expiresAt } : {}) });
  }
}

async function timeEach(times: number, body: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await body(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

async function measureReads(memory: Memory, queries: readonly string[]): Promise<Reads> {
  return {
    search: await timeEach(queries.length, (i) => memory.search(queries[i] as string, { ...USER, limit: 10 })),
    list: await timeEach(50, () => memory.getAll({ ...USER, limit: 50 })),
    count: await timeEach(50, () => memory.count(USER)),
  };
}

const cell = (samples: readonly number[]) => `${fmt(percentile(samples, 50))} / ${fmt(percentile(samples, 95))}`;

runScript(async () => {
  const flags = parseFlags(process.argv.slice(2), ['quick', 'postgres']);
  const n = flags.quick ? 2_000 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-expiry-'));
  const embedder = new HashedWordsEmbedder(384);
  const storage = flags.postgres ? await PostgresStorage.open({ pglite: await PGlite.create({ extensions: { vector: pgvector } }) }) : undefined;
  const memory = storage ? await Memory.open({ storage, embedder, llm: null }) : await Memory.open({ path: join(dir, 'bench.db'), embedder, llm: null });
  try {
    const random = seededRandom(7);
    const queries = Array.from({ length: 100 }, (_, i) => sentence(1_000_000 + i, seededRandom(1_000 + i)));
    const rows: [string, Reads][] = [];

    const addStart = performance.now();
    await addMany(memory, 0, n, random);
    const addMs = performance.now() - addStart;
    await memory.search('warm up', USER);
    rows.push([`${n} lasting`, await measureReads(memory, queries)]);

    // Long enough to store them all first: half as long again as the first N took, and 5 s.
    const expiresAt = new Date(Date.now() + addMs * 1.5 + 5_000);
    await addMany(memory, n, n, random, expiresAt.toISOString());
    await memory.search('warm up', USER);
    rows.push([`+ ${n} expiring, before expiry`, await measureReads(memory, queries)]);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now() + 50)));
    const firstSearches = await timeEach(5, (i) => memory.search(queries[i] as string, { ...USER, limit: 10 }));
    rows.push([`+ ${n} expired, not purged`, await measureReads(memory, queries)]);

    const dry = await timeEach(1, () => memory.purgeExpired({ dryRun: true }));
    const start = performance.now();
    const erased = await memory.purgeExpired();
    const purgeMs = performance.now() - start;
    await memory.search('warm up', USER);
    rows.push([`after purgeExpired`, await measureReads(memory, queries)]);

    console.log(`\nExpiry: one scope, ${flags.postgres ? 'PostgreSQL (PGlite)' : 'SQLite'}, hashed-word vectors (384-d), ${queries.length} queries; p50 / p95 ms\n`);
    console.log('| memories in the scope | hybrid search (10) | getAll (50) | count |');
    console.log('|---|---|---|---|');
    for (const [label, reads] of rows) console.log(`| ${label} | ${cell(reads.search)} | ${cell(reads.list)} | ${cell(reads.count)} |`);
    console.log(`\nfirst 5 searches after expiry (the in-memory index retires what expired): ${firstSearches.map((ms) => fmt(ms, 1)).join(', ')} ms`);
    console.log(`purgeExpired: ${erased.memories} memories, ${erased.messages} messages erased in ${fmt(purgeMs / 1000)} s (${Math.round(erased.memories / (purgeMs / 1000))} memories/s); dry run ${fmt((dry[0] ?? 0) / 1000)} s`);
    const left = await memory.count(USER);
    if (left !== n || erased.memories !== n) throw new Error(`expected ${n} lasting memories and ${n} erased, found ${left} and ${erased.memories}`);
  } finally {
    await memory.close();
    await storage?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
