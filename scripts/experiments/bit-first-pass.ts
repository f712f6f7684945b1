/**
 * Experiment: would a binary-quantized first pass make vector search fast at 100k
 * memories in one scope, and what does it cost in recall?
 *
 *   npx tsx scripts/experiments/bit-first-pass.ts           # 384-d and 100-d, 10k and 100k in the scope (~12 min)
 *   npx tsx scripts/experiments/bit-first-pass.ts --quick   # 384-d at 10k only, 50 queries
 *
 * Directly on better-sqlite3 + sqlite-vec (not through Engram), in scratch files.
 * The vec0 table is shaped like Engram's memory_vectors (src/store/vectors.ts) plus
 * two BIT columns in the same table:
 *   embedding_bits   vec_quantize_binary(v)      — the sign of each dimension
 *   embedding_cbits  vec_quantize_binary(v − μ)  — the sign after removing the corpus
 *                                                  mean μ (embeddings are anisotropic)
 * BIT[d] needs d divisible by 8, so 100-d vectors are zero-padded to 104 before quantizing.
 * 100 other users hold 200 vectors each; 2% of the scope's rows are closed versions
 * (valid_to in the past), so the partition key and the metadata filter both matter.
 *
 * Measured per configuration over the same queries (new points from the data's
 * clustered distribution, scripts/bench/clustered-vectors.ts; every configuration
 * also runs on "hard" data, noisier, where neighbours stand out less):
 * - exact float KNN (k = 10, and k = 40 = Engram's candidate pool): the reference;
 * - first pass over bits for C candidates, then exact cosine re-scoring of the C:
 *   latency of the first pass and in total, recall@10 and recall@40 against exact.
 *   First pass: vec0 KNN on the BIT column, or a Hamming scan in JS over the scope's
 *   bits held in memory. Re-scoring: from vec0 (json_each join, IN list, point
 *   lookups, one CTE statement, with and without mmap) or from a plain rowid table
 *   of float blobs;
 * - at 384-d / 100k: the float scan with a bigger page cache or mmap, a separate
 *   bits-only vec0 table, and vec0's chunk_size (file size with many small partitions).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { ClusteredVectors, DEFAULT_WEIGHTS, HARD_WEIGHTS, cosine } from '../bench/clustered-vectors.js';
import { fmt, percentile } from '../bench/stats.js';
import { parseFlags, runScript } from '../lib/script-cli.js';

type Db = BetterSqlite3.Database;

const OPEN_END = 253_402_300_799_999n;
const OTHER_USERS = 100;
const PER_OTHER_USER = 200;
const CLOSED_SHARE = 0.02;
const SCOPE = 'big';
const SCOPE_PARAMS = [SCOPE, OPEN_END] as const;
/** Rows each re-scoring returns: Engram's candidate pool (limit 10 × 4); recall@10 reads its first 10. */
const POOL = 40;

type Config = { dimension: number; n: number; hard: boolean };
type Built = { db: Db; path: string; bitDimension: number; mean: Float32Array; buildSeconds: number; vec0Bytes: number };
type Result = { config: string; method: string; stage1: number[]; total: number[]; recall10: number[]; recall40: number[] };
/** One search: the seqs found (best first, up to POOL) and when its first pass ended. */
type Search = (query: Float32Array) => { found: number[]; stage1End?: number };

function blob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Zero-pads to the BIT width (a zero maps to bit 0 in every vector, so Hamming distances do not change). */
function padded(vector: Float32Array, bitDimension: number): Float32Array {
  if (vector.length === bitDimension) return vector;
  const out = new Float32Array(bitDimension);
  out.set(vector);
  return out;
}

function centered(vector: Float32Array, mean: Float32Array, bitDimension: number): Float32Array {
  const out = new Float32Array(bitDimension);
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] as number) - (mean[i] as number);
  return out;
}

function openScratch(path: string, options: { cacheMiB?: number; mmapMiB?: number } = {}): Db {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (options.cacheMiB !== undefined) db.pragma(`cache_size = -${options.cacheMiB * 1024}`);
  if (options.mmapMiB !== undefined) db.pragma(`mmap_size = ${options.mmapMiB * 2 ** 20}`);
  sqliteVec.load(db);
  return db;
}

/** Engram's memory_vectors plus two BIT columns (or, with `bitsOnly`, a bits-only side table). */
function createTable(db: Db, name: string, dimension: number, bitDimension: number, options: { chunkSize?: number; bitsOnly?: boolean } = {}): void {
  const chunk = options.chunkSize === undefined ? '' : `,\n      chunk_size=${options.chunkSize}`;
  const vectors = options.bitsOnly
    ? `embedding_bits BIT[${bitDimension}]`
    : `embedding FLOAT[${dimension}] distance_metric=cosine,
      embedding_bits BIT[${bitDimension}],
      embedding_cbits BIT[${bitDimension}]`;
  db.exec(`
    CREATE VIRTUAL TABLE ${name} USING vec0(
      memory_seq INTEGER PRIMARY KEY,
      ${vectors},
      user_id TEXT PARTITION KEY,
      agent_id TEXT,
      run_id TEXT,
      valid_from INTEGER,
      valid_to INTEGER${chunk}
    )`);
}

function build(dir: string, config: Config, options: { chunkSize?: number; label?: string } = {}): Built {
  const start = performance.now();
  const generator = new ClusteredVectors({ dimension: config.dimension, weights: config.hard ? HARD_WEIGHTS : DEFAULT_WEIGHTS });
  const path = join(dir, `bits-${config.dimension}-${config.n}${config.hard ? '-hard' : ''}${options.label ?? ''}.db`);
  const db = openScratch(path);
  const bitDimension = Math.ceil(config.dimension / 8) * 8;
  createTable(db, 'memory_vectors', config.dimension, bitDimension, options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize });

  // Rows: other users first, then the scope (seq order = insertion order, as in Engram).
  const rows: { user: string; seed: number; closed: boolean }[] = [];
  for (let u = 0; u < OTHER_USERS; u++) for (let i = 0; i < PER_OTHER_USER; i++) rows.push({ user: `user-${u}`, seed: 10_000_000 + u * PER_OTHER_USER + i, closed: false });
  for (let i = 0; i < config.n; i++) rows.push({ user: SCOPE, seed: i + 1, closed: i % Math.round(1 / CLOSED_SHARE) === 7 });

  // The corpus mean, for centered bits (Engram could keep it in meta, from a sample).
  const mean = new Float32Array(config.dimension);
  const sample = Math.min(rows.length, 20_000);
  for (let r = 0; r < sample; r++) {
    const v = generator.vector((rows[Math.floor((r * rows.length) / sample)] as { seed: number }).seed);
    for (let i = 0; i < v.length; i++) mean[i] = (mean[i] as number) + (v[i] as number) / sample;
  }

  const insert = db.prepare(
    `INSERT INTO memory_vectors (memory_seq, embedding, embedding_bits, embedding_cbits, user_id, agent_id, run_id, valid_from, valid_to)
     VALUES (?, ?, vec_quantize_binary(?), vec_quantize_binary(?), ?, '', '', ?, ?)`,
  );
  const insertMany = db.transaction((from: number, to: number) => {
    for (let r = from; r < to; r++) {
      const row = rows[r] as { user: string; seed: number; closed: boolean };
      const v = generator.vector(row.seed);
      insert.run(BigInt(r + 1), blob(v), blob(padded(v, bitDimension)), blob(centered(v, mean, bitDimension)), row.user, 1_700_000_000_000n, row.closed ? 1_700_000_100_000n : OPEN_END);
    }
  });
  for (let from = 0; from < rows.length; from += 10_000) insertMany(from, Math.min(rows.length, from + 10_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const vec0Bytes = statSync(path).size;
  return { db, path, bitDimension, mean, buildSeconds: (performance.now() - start) / 1000, vec0Bytes };
}

function knn(db: Db, column: string, query: string): BetterSqlite3.Statement {
  return db.prepare(
    `SELECT memory_seq AS seq, distance FROM memory_vectors
     WHERE ${column} MATCH ${query} AND k = ? AND user_id = ? AND valid_to = ? ORDER BY distance`,
  );
}

function seqs(rows: unknown[]): number[] {
  return (rows as { seq: number }[]).map((r) => r.seq);
}

type Rescorer = (candidates: number[], query: Float32Array) => number[];

/** Ways to re-score candidates exactly; each returns up to POOL seqs, best first. */
function rescorers(db: Db): Record<'vec0 json_each' | 'vec0 IN list' | 'vec0 point lookups + JS cosine' | 'plain table json_each', Rescorer> {
  const inStatements = new Map<number, BetterSqlite3.Statement>();
  const joinVec0 = db.prepare(
    `SELECT v.memory_seq AS seq, vec_distance_cosine(v.embedding, ?) AS d
     FROM json_each(?) j JOIN memory_vectors v ON v.memory_seq = j.value ORDER BY d LIMIT ${POOL}`,
  );
  const joinPlain = db.prepare(
    `SELECT e.seq AS seq, vec_distance_cosine(e.embedding, ?) AS d
     FROM json_each(?) j JOIN memory_embeddings e ON e.seq = j.value ORDER BY d LIMIT ${POOL}`,
  );
  const point = db.prepare('SELECT embedding FROM memory_vectors WHERE memory_seq = ?');
  return {
    'vec0 json_each': (candidates, query) => seqs(joinVec0.all(blob(query), JSON.stringify(candidates))),
    'vec0 IN list': (candidates, query) => {
      let statement = inStatements.get(candidates.length);
      if (!statement) {
        statement = db.prepare(
          `SELECT memory_seq AS seq, vec_distance_cosine(embedding, ?) AS d FROM memory_vectors
           WHERE memory_seq IN (${candidates.map(() => '?').join(',')}) ORDER BY d LIMIT ${POOL}`,
        );
        inStatements.set(candidates.length, statement);
      }
      return seqs(statement.all(blob(query), ...candidates));
    },
    'vec0 point lookups + JS cosine': (candidates, query) => {
      const scored = candidates.map((seq) => {
        const row = point.get(seq) as { embedding: Buffer };
        const v = new Float32Array(row.embedding.buffer, row.embedding.byteOffset, row.embedding.byteLength / 4);
        return { seq, similarity: cosine(v, query) };
      });
      scored.sort((a, b) => b.similarity - a.similarity);
      return scored.slice(0, POOL).map((s) => s.seq);
    },
    'plain table json_each': (candidates, query) => seqs(joinPlain.all(blob(query), JSON.stringify(candidates))),
  };
}

/**
 * The scope's current bit vectors held in memory; a query is a Hamming scan
 * (popcount of XOR, 32 bits at a time) and a counting selection of the C nearest:
 * O(N), whatever C is.
 */
class JsBitIndex {
  private constructor(
    private readonly seqs: Float64Array,
    private readonly words: Uint32Array,
    private readonly wordsPerVector: number,
    private readonly bits: number,
  ) {}

  static load(db: Db, bitDimension: number): JsBitIndex {
    const rows = db.prepare('SELECT memory_seq AS seq, embedding_bits AS bits FROM memory_vectors WHERE user_id = ? AND valid_to = ?').all(...SCOPE_PARAMS) as {
      seq: number;
      bits: Buffer;
    }[];
    const wordsPerVector = Math.ceil(bitDimension / 32);
    const words = new Uint32Array(rows.length * wordsPerVector);
    const bytes = new Uint8Array(words.buffer);
    const ids = new Float64Array(rows.length);
    rows.forEach((row, i) => {
      ids[i] = row.seq;
      bytes.set(row.bits, i * wordsPerVector * 4);
    });
    return new JsBitIndex(ids, words, wordsPerVector, bitDimension);
  }

  get size(): number {
    return this.seqs.length;
  }

  get bytes(): number {
    return this.words.byteLength + this.seqs.byteLength;
  }

  /** The C nearest by Hamming distance (ties at the cut: first stored first). */
  nearest(queryBits: Buffer, c: number): number[] {
    const W = this.wordsPerVector;
    const q = new Uint32Array(W);
    new Uint8Array(q.buffer).set(queryBits);
    const n = this.seqs.length;
    const distances = new Uint16Array(n);
    const histogram = new Int32Array(this.bits + 1);
    const words = this.words;
    for (let i = 0, o = 0; i < n; i++) {
      let d = 0;
      for (let w = 0; w < W; w++, o++) d += popcount(((words[o] as number) ^ (q[w] as number)) >>> 0);
      distances[i] = d;
      histogram[d] = (histogram[d] as number) + 1;
    }
    let cut = 0;
    let below = 0;
    while (cut <= this.bits && below + (histogram[cut] as number) < c) below += histogram[cut++] as number;
    let tiesLeft = c - below;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = distances[i] as number;
      if (d < cut || (d === cut && tiesLeft-- > 0)) out.push(this.seqs[i] as number);
    }
    return out;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function recall(found: readonly number[], truth: readonly number[], k: number): number {
  const want = new Set(truth.slice(0, k));
  if (want.size === 0) return 1;
  return found.slice(0, k).filter((s) => want.has(s)).length / want.size;
}

function measure(results: Result[], config: string, method: string, queries: Float32Array[], truth: number[][] | undefined, search: Search): Result {
  for (const q of queries.slice(0, 2)) search(q); // warm statements and pages
  const result: Result = { config, method, stage1: [], total: [], recall10: [], recall40: [] };
  queries.forEach((q, i) => {
    const start = performance.now();
    const { found, stage1End } = search(q);
    result.total.push(performance.now() - start);
    if (stage1End !== undefined) result.stage1.push(stage1End - start);
    if (truth) {
      result.recall10.push(recall(found, truth[i] as number[], 10));
      if (found.length >= POOL) result.recall40.push(recall(found, truth[i] as number[], POOL));
    }
  });
  results.push(result);
  return result;
}

function runConfig(dir: string, config: Config, queryCount: number, extras: boolean, results: Result[]): void {
  const label = `${config.dimension}-d, ${config.n / 1000}k${config.hard ? ', hard' : ''}`;
  const built = build(dir, config);
  const { db, bitDimension } = built;
  const rows = config.n + OTHER_USERS * PER_OTHER_USER;
  console.log(
    `\n${label}: built ${rows.toLocaleString('en-US')} rows in ${fmt(built.buildSeconds, 1)} s (${fmt(rows / built.buildSeconds, 0)} rows/s), ` +
      `vec0 file ${fmt(built.vec0Bytes / 2 ** 20, 1)} MiB; load ${loadavg()[0]?.toFixed(2)}`,
  );
  // Floats again in a plain rowid table, for re-scoring without vec0's chunk reads.
  db.exec('CREATE TABLE memory_embeddings (seq INTEGER PRIMARY KEY, embedding BLOB NOT NULL)');
  db.exec('INSERT INTO memory_embeddings (seq, embedding) SELECT memory_seq, embedding FROM memory_vectors');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const mapped = openScratch(built.path, { mmapMiB: 1024 });

  const generator = new ClusteredVectors({ dimension: config.dimension, weights: config.hard ? HARD_WEIGHTS : DEFAULT_WEIGHTS });
  const queries = Array.from({ length: queryCount }, (_, i) => generator.vector(50_000_000 + i));

  // Exact float KNN: the reference.
  const exact = knn(db, 'embedding', '?');
  const truth = queries.map((q) => seqs(exact.all(blob(q), POOL, ...SCOPE_PARAMS)));
  const exact10 = measure(results, label, 'exact float KNN, k = 10', queries, truth, (q) => ({ found: seqs(exact.all(blob(q), 10, ...SCOPE_PARAMS)) }));
  measure(results, label, 'exact float KNN, k = 40', queries, truth, (q) => ({ found: seqs(exact.all(blob(q), POOL, ...SCOPE_PARAMS)) }));
  const exactMapped = knn(mapped, 'embedding', '?');
  measure(results, label, 'exact float KNN, k = 10, mmap 1 GiB', queries, truth, (q) => ({ found: seqs(exactMapped.all(blob(q), 10, ...SCOPE_PARAMS)) }));
  console.log(`  exact float k=10: p50 ${fmt(percentile(exact10.total, 50))} ms`);

  const rescore = rescorers(db);
  const rescoreMapped = rescorers(mapped);
  const bits = knn(db, 'embedding_bits', 'vec_quantize_binary(?)');
  const bitsMapped = knn(mapped, 'embedding_bits', 'vec_quantize_binary(?)');
  const cbits = knn(db, 'embedding_cbits', 'vec_quantize_binary(?)');
  const vec0First = (statement: BetterSqlite3.Statement, rescorer: Rescorer, c: number, prepare: (q: Float32Array) => Float32Array): Search => (q) => {
    const candidates = seqs(statement.all(blob(prepare(q)), c, ...SCOPE_PARAMS));
    const stage1End = performance.now();
    return { found: rescorer(candidates, q), stage1End };
  };
  const sign = (q: Float32Array) => padded(q, bitDimension);
  const center = (q: Float32Array) => centered(q, built.mean, bitDimension);

  // vec0 KNN on the BIT column, then re-scoring from vec0 itself or from the plain table.
  for (const c of [40, 100, 200, 400]) {
    measure(results, label, `vec0 bits C=${c} → vec0 json_each`, queries, truth, vec0First(bits, rescore['vec0 json_each'], c, sign));
    measure(results, label, `vec0 bits C=${c} → plain table`, queries, truth, vec0First(bits, rescore['plain table json_each'], c, sign));
  }
  for (const c of [100, 200]) measure(results, label, `vec0 centered bits C=${c} → plain table`, queries, truth, vec0First(cbits, rescore['plain table json_each'], c, center));

  if (!config.hard) {
    // Ways to re-score 100 candidates.
    measure(results, label, 'vec0 bits C=100 → vec0 IN list', queries, truth, vec0First(bits, rescore['vec0 IN list'], 100, sign));
    measure(results, label, 'vec0 bits C=100 → vec0 point lookups + JS', queries, truth, vec0First(bits, rescore['vec0 point lookups + JS cosine'], 100, sign));
    measure(results, label, 'vec0 bits C=100 → vec0 json_each, mmap', queries, truth, vec0First(bitsMapped, rescoreMapped['vec0 json_each'], 100, sign));
    const cte = db.prepare(
      `WITH c AS (SELECT memory_seq FROM memory_vectors
                  WHERE embedding_bits MATCH vec_quantize_binary(?) AND k = ? AND user_id = ? AND valid_to = ?)
       SELECT v.memory_seq AS seq, vec_distance_cosine(v.embedding, ?) AS d
       FROM c JOIN memory_vectors v ON v.memory_seq = c.memory_seq ORDER BY d LIMIT ${POOL}`,
    );
    measure(results, label, 'vec0 bits C=100 → vec0, one CTE statement', queries, truth, (q) => ({
      found: seqs(cte.all(blob(sign(q)), 100, ...SCOPE_PARAMS, blob(q))),
    }));
  }

  // First pass in JS over the scope's bits held in memory.
  const loadStart = performance.now();
  const index = JsBitIndex.load(db, bitDimension);
  const loadMs = performance.now() - loadStart;
  console.log(`  JS bit index: ${index.size.toLocaleString('en-US')} vectors loaded from vec0 in ${fmt(loadMs, 0)} ms, ${fmt(index.bytes / 2 ** 20, 1)} MiB`);
  const quantize = db.prepare('SELECT vec_quantize_binary(?) AS bits').pluck();
  const jsFirst = (rescorer: Rescorer, c: number): Search => (q) => {
    const candidates = index.nearest(quantize.get(blob(sign(q))) as Buffer, c);
    const stage1End = performance.now();
    return { found: rescorer(candidates, q), stage1End };
  };
  for (const c of [40, 100, 200, 400, 800]) measure(results, label, `JS bits C=${c} → plain table`, queries, truth, jsFirst(rescore['plain table json_each'], c));
  for (const c of [100, 200, 400]) measure(results, label, `JS bits C=${c} → vec0 json_each, mmap`, queries, truth, jsFirst(rescoreMapped['vec0 json_each'], c));
  results.push({ config: label, method: `(JS bit index load: ${fmt(loadMs, 0)} ms, ${fmt(index.bytes / 2 ** 20, 1)} MiB)`, stage1: [], total: [], recall10: [], recall40: [] });

  const c200 = results.find((r) => r.config === label && r.method === 'JS bits C=200 → plain table') as Result;
  console.log(`  JS bits C=200 → plain table: p50 ${fmt(percentile(c200.total, 50))} ms, recall@10 ${fmt(mean(c200.recall10), 3)}`);

  if (extras) extraMeasurements(dir, config, built, queries, truth, results, label);
  mapped.close();
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${built.path}${suffix}`, { force: true });
}

/** 384-d / 100k only: a bigger page cache, a separate bits-only table, chunk_size. */
function extraMeasurements(dir: string, config: Config, built: Built, queries: Float32Array[], truth: number[][], results: Result[], label: string): void {
  const half = queries.slice(0, Math.max(20, Math.floor(queries.length / 2)));
  {
    const db = openScratch(built.path, { cacheMiB: 512 });
    const exact = knn(db, 'embedding', '?');
    measure(results, label, 'exact float KNN, k = 10, cache_size 512 MiB', half, undefined, (q) => ({ found: seqs(exact.all(blob(q), 10, ...SCOPE_PARAMS)) }));
    const bits = knn(db, 'embedding_bits', 'vec_quantize_binary(?)');
    const rescore = rescorers(db)['vec0 json_each'];
    measure(results, label, 'vec0 bits C=100 → vec0 json_each, cache_size 512 MiB', half, undefined, (q) => {
      const candidates = seqs(bits.all(blob(padded(q, built.bitDimension)), 100, ...SCOPE_PARAMS));
      const stage1End = performance.now();
      return { found: rescore(candidates, q), stage1End };
    });
    db.close();
  }

  // A bits-only side table (what a migration could add without rebuilding memory_vectors).
  {
    const db = built.db;
    createTable(db, 'memory_vector_bits', config.dimension, built.bitDimension, { bitsOnly: true });
    db.exec(
      `INSERT INTO memory_vector_bits (memory_seq, embedding_bits, user_id, agent_id, run_id, valid_from, valid_to)
       SELECT memory_seq, embedding_bits, user_id, agent_id, run_id, valid_from, valid_to FROM memory_vectors`,
    );
    const side = db.prepare(
      `SELECT memory_seq AS seq FROM memory_vector_bits
       WHERE embedding_bits MATCH vec_quantize_binary(?) AND k = ? AND user_id = ? AND valid_to = ? ORDER BY distance`,
    );
    const rescore = rescorers(db)['plain table json_each'];
    measure(results, label, 'separate bits-only vec0 table C=100 → plain table', queries, truth, (q) => {
      const candidates = seqs(side.all(blob(padded(q, built.bitDimension)), 100, ...SCOPE_PARAMS));
      const stage1End = performance.now();
      return { found: rescore(candidates, q), stage1End };
    });
  }

  // chunk_size: the default (1024) allocates a whole chunk per partition, even for a user with 3 memories.
  for (const chunkSize of [128, 256]) {
    const variant = build(dir, config, { chunkSize, label: `-chunk${chunkSize}` });
    const exact = knn(variant.db, 'embedding', '?');
    const bits = knn(variant.db, 'embedding_bits', 'vec_quantize_binary(?)');
    const size = fmt(variant.vec0Bytes / 2 ** 20, 0);
    measure(results, label, `exact float KNN, k = 10, chunk_size ${chunkSize} (vec0 file ${size} MiB)`, half, undefined, (q) => ({
      found: seqs(exact.all(blob(q), 10, ...SCOPE_PARAMS)),
    }));
    measure(results, label, `vec0 bits C=100, first pass only, chunk_size ${chunkSize}`, half, undefined, (q) => ({
      found: seqs(bits.all(blob(padded(q, variant.bitDimension)), 100, ...SCOPE_PARAMS)),
      stage1End: performance.now(),
    }));
    console.log(`  chunk_size ${chunkSize}: vec0 file ${size} MiB (default 1024: ${fmt(built.vec0Bytes / 2 ** 20, 0)} MiB)`);
    variant.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${variant.path}${suffix}`, { force: true });
  }
}

function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

function printResults(results: Result[]): void {
  const cell = (samples: number[], p: number) => (samples.length === 0 ? '' : fmt(percentile(samples, p)));
  const header = ['config', 'method', 'pass 1 p50', 'total p50', 'total p95', 'recall@10', 'r@10 p5', 'recall@40'];
  const lines = results.map((r) => [
    r.config,
    r.method,
    cell(r.stage1, 50),
    cell(r.total, 50),
    cell(r.total, 95),
    r.recall10.length === 0 ? '' : fmt(mean(r.recall10), 3),
    r.recall10.length === 0 ? '' : fmt(percentile(r.recall10, 5), 1),
    r.recall40.length === 0 ? '' : fmt(mean(r.recall40), 3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  console.log('\nlatency in ms; recall against exact float KNN (mean over queries; "r@10 p5" = the 5th-percentile query); C = first-pass candidates');
  console.log(render(header));
  console.log(render(widths.map((w) => '-'.repeat(w))));
  for (const line of lines) console.log(render(line));
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), ['quick']);
  const queryCount = flags.quick ? 50 : 200;
  const configs: Config[] = flags.quick
    ? [{ dimension: 384, n: 10_000, hard: false }]
    : [384, 100].flatMap((dimension) =>
        [10_000, 100_000].flatMap((n) => [
          { dimension, n, hard: false },
          { dimension, n, hard: true },
        ]),
      );
  const db = new BetterSqlite3(':memory:');
  sqliteVec.load(db);
  const version = (db.prepare('SELECT vec_version() AS v').get() as { v: string }).v;
  db.close();
  console.log(
    `bit first pass — sqlite-vec ${version}, Node ${process.version}, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${queryCount} queries; ${OTHER_USERS} × ${PER_OTHER_USER} vectors in other partitions`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'engram-bits-'));
  const results: Result[] = [];
  const began = performance.now();
  try {
    for (const config of configs) runConfig(dir, config, queryCount, !flags.quick && !config.hard && config.dimension === 384 && config.n === 100_000, results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printResults(results);
  console.log(`\ntotal run ${fmt((performance.now() - began) / 1000, 0)} s`);
}

runScript(main);
