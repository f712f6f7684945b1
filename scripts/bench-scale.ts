/**
 * Search latency at scale, through the public API (a script, not a test):
 *   npm run bench:scale              # 1k → 10k → 100k memories in one scope, 200 queries per mode (≈ 3 min on 2 cores)
 *   npm run bench:scale -- --quick   # 1k → 10k only, 50 queries per mode
 *   npm run bench:scale -- --keep    # keep the database file (its path is printed)
 *
 * (This bench found that add()'s duplicate check scanned every current memory:
 * ingest fell to ≈ 60/s at 70k rows. The check now uses the memories_current_hash
 * index.)
 *
 * One file, grown in place: 100 other users × 200 memories first (so the scope has
 * to be found inside the index, not after it), then userId 'big' grows
 * 1,000 → 10,000 → 100,000 memories, added with `add(..., { infer: false })` in
 * batches of 100 messages (the API limit).
 *
 * Embeddings (384 dimensions, MiniLM's): stored texts get deterministic clustered
 * vectors from a hash of the text (no model run; see bench/clustered-vectors.ts),
 * queries are embedded by the MiniLM-L6-shaped random-weight model
 * (models/bench/minilm-random, int8), so "with the query embedding" costs what a
 * real MiniLM query costs. One Embedder object with a `mode` switch; one id, so the
 * database accepts both.
 *
 * For each N and each mode (vector, keyword, hybrid): search(q, { userId: 'big', limit: 10, mode })
 *   (a) query vector already computed (memoized beforehand): the store's part;
 *   (b) fresh, never-seen queries: the whole call, query embedding included.
 * Also per N: recall@10 of vector search against sqlite-vec's exact KNN (`exact: true`),
 * for queries embedded like the stored texts (clustered, as a real model's queries
 * resemble its documents) and for the MiniLM-shaped model's queries (unrelated to the
 * stored geometry: the hard case); and the first search of a newly opened Memory (the
 * scope's in-memory index is built then).
 *
 * A second file holds the same texts embedded by a sparse embedder (a 384-d hashed
 * bag of words, bench/hashed-words.ts, for stored texts and queries alike: a few
 * non-zero dimensions per vector), grown alongside: recall@10 against exact and
 * vector search latency for it too. Recall is printed by id and with ties at the
 * 10th place counted as found (sparse vectors tie often: many memories share the
 * same words, and either side may return any of them).
 */
import { printAligned, QueryWords } from './bench/query-words.js';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Memory, TransformersEmbedder, type Embedder } from '../src/index.js';
import { ClusteredVectors } from './bench/clustered-vectors.js';
import { HashedWordsEmbedder } from './bench/hashed-words.js';
import { meanOf, vectorRecall, type RecallSample } from './bench/vector-recall.js';
import { fmt, peakRssMiB, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';
import { parseFlags, projectRoot, runScript } from './lib/script-cli.js';

type Mode = 'vector' | 'keyword' | 'hybrid';
const MODES: readonly Mode[] = ['vector', 'keyword', 'hybrid'];
const MINILM = join(projectRoot, 'models/bench/minilm-random');
const BATCH = 100;
const OTHER_USERS = 100;
const PER_OTHER_USER = 200;

/** Targets (ms) the numbers are compared against. */
const TARGETS = {
  storeP50: new Map<number, number>([
    [1_000, 2],
    [10_000, 5],
  ]),
  wholeP95: new Map<number, number>([[100_000, 30]]),
};

/**
 * Stored texts → clustered synthetic vectors (cheap, deterministic);
 * queries → the real MiniLM-shaped model, memoized per text.
 */
class ScaleEmbedder implements Embedder {
  readonly id = 'bench/clustered-384+minilm-random-queries';
  readonly dimension = 384;
  mode: 'ingest' | 'query' = 'ingest';
  /** Milliseconds of each model call made for a query (memo misses only). */
  readonly modelCallsMs: number[] = [];
  private readonly memo = new Map<string, Float32Array>();

  constructor(
    private readonly stored: ClusteredVectors,
    private readonly queries: Embedder,
  ) {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.mode === 'ingest') return texts.map((t) => this.stored.vectorOfText(t));
    const missing = [...new Set(texts.filter((t) => !this.memo.has(t)))];
    if (missing.length > 0) {
      const start = performance.now();
      const vectors = await this.queries.embed(missing);
      if (missing.length === 1) this.modelCallsMs.push(performance.now() - start);
      missing.forEach((t, i) => this.memo.set(t, vectors[i] as Float32Array));
    }
    return texts.map((t) => this.memo.get(t) as Float32Array);
  }

  async dispose(): Promise<void> {
    await this.queries.dispose?.();
  }
}


type Row = {
  n: number;
  ingestPerSecond: number;
  /** The first search of a freshly opened Memory: the scope's in-memory index is built (keyword postings and vectors). */
  coldSearchMs: number;
  /**
   * Vector search against exact KNN (search option `exact`), per query: for
   * queries drawn like the stored vectors (as a real model's would be), for the
   * MiniLM-shaped model's queries, unrelated to the stored geometry (the hard
   * case), and in the sparse file.
   */
  recall: { alike: RecallSample[]; unrelated: RecallSample[]; sparse: RecallSample[] };
  exactVectorMs: number[];
  store: Record<Mode, number[]>;
  whole: Record<Mode, number[]>;
  embedMs: number[];
  rssMiB: number;
  fileBytes: number;
  breakdown: string;
};

async function addMemories(memory: Memory, userId: string, texts: string[], progress?: (done: number) => void): Promise<void> {
  for (let i = 0; i < texts.length; i += BATCH) {
    const chunk = texts.slice(i, i + BATCH).map((content) => ({ role: 'user' as const, content }));
    const { results } = await memory.add(chunk, { userId, infer: false });
    if (results.some((r) => r.event !== 'ADD')) throw new Error(`an add of ${userId} stored fewer memories than sent`);
    progress?.(i + chunk.length);
  }
}

function fileSize(path: string): number {
  return [path, `${path}-wal`].reduce((sum, p) => sum + (existsSync(p) ? statSync(p).size : 0), 0);
}

/** Bytes per table family (vec0 shadow tables grouped), from SQLite's dbstat; '' if unavailable. */
function sizeBreakdown(path: string): string {
  try {
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
      const groups = new Map<string, number>();
      for (const row of rows) {
        const group = row.name.startsWith('memory_vectors')
          ? row.name.startsWith('memory_vectors_vector_chunks')
            ? 'vectors'
            : 'vec0 other'
          : row.name.startsWith('memory_fts')
            ? 'fts'
            : row.name.startsWith('memories') || row.name.startsWith('sqlite_autoindex_memories') || row.name.startsWith('idx_memories')
              ? 'memories'
              : row.name.startsWith('messages') || row.name.startsWith('idx_messages')
                ? 'messages'
                : row.name.startsWith('history') || row.name.startsWith('idx_history')
                  ? 'history'
                  : 'other';
        groups.set(group, (groups.get(group) ?? 0) + row.bytes);
      }
      return [...groups.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([g, b]) => `${g} ${fmt(b / 2 ** 20, 0)}`)
        .join(', ');
    } finally {
      db.close();
    }
  } catch {
    return '';
  }
}

async function measure(
  memory: Memory,
  embedder: ScaleEmbedder,
  words: QueryWords,
  queryCount: number,
): Promise<Pick<Row, 'store' | 'whole' | 'embedMs' | 'exactVectorMs'> & { recall: Pick<Row['recall'], 'alike' | 'unrelated'> }> {
  embedder.mode = 'query';
  const store = { vector: [], keyword: [], hybrid: [] } as Record<Mode, number[]>;
  const whole = { vector: [], keyword: [], hybrid: [] } as Record<Mode, number[]>;

  // Warm up: model loaded, pages cached, statements prepared.
  for (const q of words.batch(5)) for (const mode of MODES) await memory.search(q, { userId: 'big', limit: 10, mode });

  // (a) the store's part: query vectors computed beforehand (the embedder memoizes them).
  const cached = words.batch(queryCount);
  await embedder.embed(cached);
  const callsBefore = embedder.modelCallsMs.length;
  for (const q of cached) {
    for (const mode of MODES) {
      const start = performance.now();
      const { results } = await memory.search(q, { userId: 'big', limit: 10, mode });
      store[mode].push(performance.now() - start);
      if (mode !== 'keyword' && results.length !== 10) throw new Error(`search in ${mode} mode returned ${results.length} results`);
    }
  }
  if (embedder.modelCallsMs.length !== callsBefore) throw new Error('a cached query reached the model');

  // Recall of the default vector search against sqlite-vec's exact KNN: the MiniLM-shaped queries above
  // (unrelated to the stored geometry), then new texts embedded like stored texts (new, because
  // Memory caches query vectors by text).
  const unrelated: RecallSample[] = [];
  for (const q of cached) unrelated.push(await vectorRecall(memory, q, 'big'));
  const exactVectorMs = unrelated.map((s) => s.exactMs);
  embedder.mode = 'ingest';
  const alike: RecallSample[] = [];
  for (const q of words.batch(queryCount)) alike.push(await vectorRecall(memory, q, 'big'));
  embedder.mode = 'query';

  // (b) the whole call: every query text is new, so each search (but keyword) embeds it.
  const fresh = { vector: words.batch(queryCount), keyword: words.batch(queryCount), hybrid: words.batch(queryCount) } as Record<Mode, string[]>;
  const embedStart = embedder.modelCallsMs.length;
  for (let i = 0; i < queryCount; i++) {
    for (const mode of MODES) {
      const start = performance.now();
      await memory.search(fresh[mode][i] as string, { userId: 'big', limit: 10, mode });
      whole[mode].push(performance.now() - start);
    }
  }
  const embedMs = embedder.modelCallsMs.slice(embedStart);
  if (embedMs.length !== 2 * queryCount) throw new Error(`expected ${2 * queryCount} query embeddings, saw ${embedMs.length}`);
  embedder.mode = 'ingest';
  return { store, whole, embedMs, recall: { alike, unrelated }, exactVectorMs };
}

/** The first hybrid search of a newly opened Memory on the file: what building the scope's index costs. */
async function coldSearch(path: string, embedder: ScaleEmbedder, words: QueryWords): Promise<number> {
  embedder.mode = 'query';
  const query = words.fresh();
  await embedder.embed([query]);
  const memory = await Memory.open({ path, embedder, llm: null });
  try {
    const start = performance.now();
    await memory.search(query, { userId: 'big', limit: 10 });
    return performance.now() - start;
  } finally {
    embedder.mode = 'ingest';
    await memory.close();
  }
}

/** The sparse file: recall against exact and the vector search's time (the hashed embedding costs microseconds). */
async function measureSparse(memory: Memory, words: QueryWords, queryCount: number): Promise<RecallSample[]> {
  for (const q of words.batch(5)) await memory.search(q, { userId: 'big', limit: 10, mode: 'vector' });
  const samples: RecallSample[] = [];
  for (const q of words.batch(queryCount)) samples.push(await vectorRecall(memory, q, 'big'));
  return samples;
}

function printTable(rows: Row[]): void {
  const p = (samples: number[], q: number) => fmt(percentile(samples, q));
  console.log('\nsearch(q, { userId: "big", limit: 10, mode }) latency, ms — p50 / p95');
  console.log('(a) query vector precomputed   (b) fresh query, MiniLM-shaped int8 embedding included');
  const header = ['N in scope', 'mode', '(a) p50', '(a) p95', '(b) p50', '(b) p95', 'target'];
  const lines: string[][] = [];
  for (const row of rows) {
    for (const mode of MODES) {
      const targets: string[] = [];
      const storeTarget = TARGETS.storeP50.get(row.n);
      if (storeTarget !== undefined) targets.push(`(a) p50 ≤ ${storeTarget}: ${percentile(row.store[mode], 50) <= storeTarget ? 'met' : 'MISSED'}`);
      const wholeTarget = TARGETS.wholeP95.get(row.n);
      if (wholeTarget !== undefined) targets.push(`(b) p95 ≤ ${wholeTarget}: ${percentile(row.whole[mode], 95) <= wholeTarget ? 'met' : 'MISSED'}`);
      lines.push([row.n.toLocaleString('en-US'), mode, p(row.store[mode], 50), p(row.store[mode], 95), p(row.whole[mode], 50), p(row.whole[mode], 95), targets.join('; ')]);
    }
  }
  printAligned(header, lines);

  console.log('\nper N');
  printAligned(
    [
      'N in scope',
      'ingest (memories/s)',
      'query embedding alone p50 / p95 (ms)',
      'vector recall@10 vs exact: alike / unrelated / sparse',
      'exact KNN p50 (ms)',
      'first search, index built (ms)',
      'peak RSS (MiB)',
      'file (MiB)',
      'file by table (MiB)',
    ],
    rows.map((row) => [
      row.n.toLocaleString('en-US'),
      fmt(row.ingestPerSecond, 0),
      `${p(row.embedMs, 50)} / ${p(row.embedMs, 95)}`,
      (['alike', 'unrelated', 'sparse'] as const).map((kind) => meanOf(row.recall[kind], 'ids').toFixed(3)).join(' / '),
      p(row.exactVectorMs, 50),
      fmt(row.coldSearchMs, 0),
      fmt(row.rssMiB, 0),
      fmt(row.fileBytes / 2 ** 20, 1),
      row.breakdown,
    ]),
  );
  printRecall(rows);
  console.log('\ntargets: search p50 ≤ 2 ms at 1k and ≤ 5 ms at 10k (query vector precomputed); p95 ≤ 30 ms at 100k including the query embedding');
}

/** Per N and embedder: recall@10 against exact KNN and the default vector search's latency. */
function printRecall(rows: Row[]): void {
  const p = (samples: number[], q: number) => fmt(percentile(samples, q));
  console.log('\nvector search (limit 10) against exact KNN, 384-d');
  console.log('store: query vector already computed (sparse and alike: computed in the call, microseconds); whole: the MiniLM-shaped query embedding included');
  const kinds = [
    ['alike', 'dense (clustered), clustered queries'],
    ['unrelated', 'dense (clustered), MiniLM-shaped queries'],
    ['sparse', 'sparse (hashed words), hashed-word queries'],
  ] as const;
  printAligned(
    ['N in scope', 'embedder, queries', 'recall@10 (ids)', 'recall@10 (ties found)', 'store p50', 'store p95', 'whole p50', 'whole p95'],
    rows.flatMap((row) =>
      kinds.map(([kind, label]) => {
        const samples = row.recall[kind];
        const store = kind === 'unrelated' ? row.store.vector : samples.map((s) => s.ms);
        const whole = kind === 'unrelated' ? row.whole.vector : store;
        return [row.n.toLocaleString('en-US'), label, meanOf(samples, 'ids').toFixed(3), meanOf(samples, 'ties').toFixed(3), p(store, 50), p(store, 95), p(whole, 50), p(whole, 95)];
      }),
    ),
  );
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), ['quick', 'keep']);
  const sizes = flags.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const queryCount = flags.quick ? 50 : 200;
  if (!existsSync(MINILM)) execFileSync(process.execPath, ['--import', 'tsx', 'scripts/make-bench-models.ts'], { cwd: projectRoot, stdio: 'inherit' });

  const began = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-scale-'));
  const path = join(dir, 'scale.db');
  console.log(
    `Engram scale bench — Node ${process.version}, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}${flags.quick ? ', --quick' : ''}`,
  );
  console.log(`file: ${path}`);
  const embedder = new ScaleEmbedder(new ClusteredVectors({ dimension: 384 }), new TransformersEmbedder({ model: MINILM, dtype: 'q8' }));
  const memory = await Memory.open({ path, embedder, llm: null });
  const sparse = await Memory.open({ path: join(dir, 'sparse.db'), embedder: new HashedWordsEmbedder(384), llm: null });
  const rows: Row[] = [];
  try {
    const others = performance.now();
    for (let u = 0; u < OTHER_USERS; u++) {
      const random = seededRandom(1_000 + u);
      const texts = Array.from({ length: PER_OTHER_USER }, (_, i) => `${sentence(i, random)} [user ${u}]`);
      await addMemories(memory, `user-${u}`, texts);
      await addMemories(sparse, `user-${u}`, texts);
    }
    const othersSeconds = (performance.now() - others) / 1000;
    console.log(
      `other users: ${OTHER_USERS} × ${PER_OTHER_USER} = ${(OTHER_USERS * PER_OTHER_USER).toLocaleString('en-US')} memories in ${fmt(othersSeconds, 1)} s ` +
        `(${fmt((OTHER_USERS * PER_OTHER_USER) / othersSeconds, 0)} memories/s)`,
    );

    const random = seededRandom(7);
    let have = 0;
    const words = new QueryWords();
    for (const n of sizes) {
      const texts = Array.from({ length: n - have }, (_, i) => sentence(have + i, random));
      const start = performance.now();
      let lastReport = start;
      await addMemories(memory, 'big', texts, (done) => {
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          console.log(`  … ${(have + done).toLocaleString('en-US')} memories in 'big' (${fmt(done / ((lastReport - start) / 1000), 0)}/s)`);
        }
      });
      const seconds = (performance.now() - start) / 1000;
      const ingestPerSecond = texts.length / seconds;
      await addMemories(sparse, 'big', texts);
      have = n;
      console.log(`'big' grown to ${n.toLocaleString('en-US')} (dense and sparse files): dense +${texts.length.toLocaleString('en-US')} in ${fmt(seconds, 1)} s (${fmt(ingestPerSecond, 0)} memories/s); measuring ${queryCount} queries × 3 modes × 2…`);
      const measureStart = performance.now();
      const measured = await measure(memory, embedder, words, queryCount);
      const coldSearchMs = await coldSearch(path, embedder, words);
      const recall = { ...measured.recall, sparse: await measureSparse(sparse, words, queryCount) };
      const row: Row = { n, ingestPerSecond, coldSearchMs, ...measured, recall, rssMiB: peakRssMiB(), fileBytes: fileSize(path), breakdown: sizeBreakdown(path) };
      rows.push(row);
      console.log(
        `  measured in ${fmt((performance.now() - measureStart) / 1000, 1)} s; p50 (a) ` +
          MODES.map((m) => `${m} ${fmt(percentile(row.store[m], 50))}`).join(', ') +
          ` ms; vector recall@10 ${meanOf(recall.alike, 'ids').toFixed(3)} (unrelated queries ${meanOf(recall.unrelated, 'ids').toFixed(3)}, sparse ${meanOf(recall.sparse, 'ids').toFixed(3)}); first search ${fmt(row.coldSearchMs, 0)} ms; file ${fmt(row.fileBytes / 2 ** 20, 1)} MiB; peak RSS ${fmt(row.rssMiB, 0)} MiB`,
      );
    }
  } finally {
    await memory.close();
    await sparse.close();
    await embedder.dispose();
  }
  printTable(rows);
  console.log(`\nfile after close (WAL checkpointed): ${fmt(fileSize(path) / 2 ** 20, 1)} MiB; total run ${fmt((performance.now() - began) / 1000, 0)} s`);
  if (flags.keep) console.log(`kept ${path}`);
  else rmSync(dir, { recursive: true, force: true });
}

runScript(main);
