/**
 * The PostgreSQL engine's figures at scale (a script, not a test):
 *   npm run bench:postgres                              # 10k and 100k memories in one scope
 *   BENCH_PG_SIZES=2000 npm run bench:postgres          # a quick try
 *   BENCH_PG_QUERIES=50 BENCH_PG_ADDS=50 …              # fewer queries / adds per size (default 200 / 200)
 *   BENCH_PG_MAINTENANCE_WORK_MEM=64MB …                # the HNSW build's memory (default 1GB; PGlite's own default is 64MB)
 *   BENCH_PG_PLANS=0 …                                  # without the EXPLAIN ANALYZE printouts
 *
 * PostgreSQL here is PGlite in this process: PostgreSQL compiled to WebAssembly,
 * with pgvector, one session, data files in memory. A native server (compiled C,
 * several cores, its own shared buffers, autovacuum) will differ, probably a lot.
 *
 * Each size gets a fresh database: 10 other users × 1,000 memories (so the scope
 * filter has to skip rows of other users inside the HNSW and GIN scans) and
 * N memories of userId 'big'. Loading goes through the storage port
 * (`transaction('write', …)` with `insertMemory` per row, 500 rows per
 * transaction), not through Memory.add. Kept up row by row, the HNSW index
 * makes that ≈ 100–190 inserts/s in WASM (100k took ≈ 15 min), so the bench
 * drops the index for the load and builds it again from its own definition
 * afterwards (timed), as a bulk import would; the rate with the index kept is
 * measured too, on 1,000 more rows after the build.
 *
 * Nothing runs ANALYZE in PGlite (no autovacuum worker), and without statistics
 * the planner never picks the HNSW index: searches are first timed that way (as the
 * engine leaves PGlite), then everything else after an ANALYZE (what autovacuum
 * would reach on a server).
 *
 * Vectors (384 dimensions): deterministic clustered synthetic vectors from a
 * hash of each text (bench/clustered-vectors.ts, as bench:scale), so nearest
 * neighbours are decided by real geometry and recall means something.
 *
 * Per size:
 * - `storage.searchCandidates` as retrieve asks for limit 10 (k = 40) in
 *   vector, keyword and hybrid mode, p50/p95 ms;
 * - `Memory.search(q, { userId: 'big', limit: 10, mode })` end to end (the
 *   embedder is the cheap hash → clustered vector one: microseconds), interleaved with (a);
 * - recall@10 of the vector candidates (HNSW, iterative scan) against `exact: true`,
 *   for queries drawn like the stored vectors and for random unit vectors;
 * - `Memory.add(text, { infer: false })`, one message per call, into another user
 *   (so 'big' keeps its size): p50/p95 ms and adds/s;
 * - the HNSW build, ANALYZE, table and index sizes, peak RSS (the process's,
 *   so far: PGlite's heap and data files included), and the plans PostgreSQL chose
 *   (EXPLAIN ANALYZE of the engine's own SQL, one query per mode).
 */
import { cpus, loadavg } from 'node:os';
import { printAligned, QueryWords } from './bench/query-words.js';
import { PGlite } from '@electric-sql/pglite';
import { vector as pgvector } from '@electric-sql/pglite-pgvector';
import { Memory, type Embedder } from '../src/index.js';
import { PostgresStorage } from '../src/engines/postgres/postgres-storage.js';
import { searchCandidates } from '../src/engines/postgres/search.js';
import type { SqlQueryable } from '../src/engines/postgres/sql-client.js';
import { newId } from '../src/ids.js';
import type { CandidateQuery, Storage } from '../src/storage/storage.js';
import { cleanText, textHash } from '../src/text-hash.js';
import { ClusteredVectors, normalize } from './bench/clustered-vectors.js';
import { fmt, peakRssMiB, percentile } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';
import { runScript } from './lib/script-cli.js';

type Mode = 'vector' | 'keyword' | 'hybrid';
const MODES: readonly Mode[] = ['vector', 'keyword', 'hybrid'];
const DIMENSION = 384;
const LOAD_BATCH = 500;
const OTHER_USERS = 10;
const PER_OTHER_USER = 1_000;
/** What retrieve asks the engine for with limit 10 (pool = max(40, 4 × limit)). */
const K = 40;
const BIG = { userId: 'big' } as const;
/** Batched port inserts timed with the HNSW index in place, per size. */
const MAINTAINED_ROWS = 1_000;
/** Queries timed before ANALYZE (slow at 100k: exact scans). */
const NO_STATS_QUERIES = 20;
/** The query whose plans are printed (two words of the corpus, each in ≈ 1 in 10 texts). */
const PLAN_QUERY = 'the coach booked';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return value;
}

function envSizes(): number[] {
  const raw = process.env['BENCH_PG_SIZES'] ?? '10000,100000';
  const sizes = raw.split(',').map((s) => Number(s.trim().replaceAll('_', '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error(`BENCH_PG_SIZES must be integers ≥ 100, comma-separated, not "${raw}"`);
  return [...sizes].sort((a, b) => a - b);
}

/** Texts → clustered synthetic vectors from a hash of the text: deterministic, microseconds each. */
class ClusteredEmbedder implements Embedder {
  readonly id = 'bench/clustered-384';
  readonly dimension = DIMENSION;
  constructor(readonly vectors: ClusteredVectors) {}
  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.vectors.vectorOfText(t));
  }
}


/** Random unit vectors: no relation to the stored clusters (the hard case for an approximate index). */
function randomUnitVectors(n: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const v = new Float32Array(DIMENSION);
    for (let i = 0; i < DIMENSION; i++) {
      const u = 1 - random();
      v[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    }
    return normalize(v);
  });
}

type Row = {
  n: number;
  /** Bulk load through the port with the HNSW index dropped (rows of 'big' and of the other users). */
  bulkPerSecond: number;
  bulkSeconds: number;
  buildSeconds: number;
  buildNotices: string[];
  /** Batched inserts through the port with the HNSW index in place, after the build. */
  maintainedPerSecond: number;
  /** As the engine leaves PGlite: no statistics (nothing runs ANALYZE). */
  noStats: { firstVectorMs: number; vector: number[]; keyword: number[] };
  analyzeMs: number;
  add: { ms: number[]; perSecond: number };
  candidates: Record<Mode, number[]>;
  whole: Record<Mode, number[]>;
  exactMs: number[];
  recallAt10: { alike: number; unrelated: number };
  sizes: string;
  rssMiB: number;
};

/** Inserts memories into a scope through the storage port, LOAD_BATCH per write transaction; calls `progress` after each. */
async function load(storage: Storage, embedder: ClusteredEmbedder, userId: string, texts: string[], progress?: (done: number) => void): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < texts.length; i += LOAD_BATCH) {
    const chunk = texts.slice(i, i + LOAD_BATCH).map((t) => cleanText(t));
    const vectors = await embedder.embed(chunk);
    await storage.transaction('write', 'loading memories', async (tx) => {
      for (const [j, text] of chunk.entries()) {
        await tx.insertMemory(
          {
            id: newId(now),
            text,
            hash: textHash(text),
            kind: 'semantic',
            scope: { userId },
            metadata: {},
            validFrom: now,
            source: null,
            embedding: vectors[j] as Float32Array,
          },
          now,
          'api',
        );
      }
    });
    progress?.(i + chunk.length);
  }
}

function candidateQuery(mode: Mode, text: string, vector: Float32Array): CandidateQuery {
  return { scope: BIG, k: K, vector: mode === 'keyword' ? undefined : vector, keyword: mode === 'vector' ? undefined : text };
}

async function timeCandidates(storage: Storage, embedder: ClusteredEmbedder, mode: Mode, texts: string[]): Promise<number[]> {
  const vectors = await embedder.embed(texts);
  const ms: number[] = [];
  for (const [i, q] of texts.entries()) {
    const start = performance.now();
    const found = await storage.searchCandidates(candidateQuery(mode, q, vectors[i] as Float32Array));
    ms.push(performance.now() - start);
    if (mode !== 'keyword' && found.vector.length !== K) throw new Error(`vector candidates: ${found.vector.length}, not ${K}`);
  }
  return ms;
}

async function measure(
  storage: Storage,
  memory: Memory,
  embedder: ClusteredEmbedder,
  words: QueryWords,
  n: number,
  queryCount: number,
  addCount: number,
): Promise<Pick<Row, 'add' | 'candidates' | 'whole' | 'exactMs' | 'recallAt10' | 'maintainedPerSecond'>> {
  const candidates = { vector: [], keyword: [], hybrid: [] } as Record<Mode, number[]>;
  const whole = { vector: [], keyword: [], hybrid: [] } as Record<Mode, number[]>;

  // Warm up: caches, plans.
  for (const q of words.batch(5)) {
    for (const mode of MODES) {
      await timeCandidates(storage, embedder, mode, [q]);
      await memory.search(q, { ...BIG, limit: 10, mode });
    }
  }

  // (a) the store's part, searchCandidates as retrieve calls it for limit 10, and (b) the whole Memory.search call,
  // interleaved query by query (so a change in the machine's load hits both alike), each with its own fresh text.
  for (let i = 0; i < queryCount; i++) {
    const [forCandidates, forSearch] = words.batch(2) as [string, string];
    for (const mode of MODES) {
      candidates[mode].push(...(await timeCandidates(storage, embedder, mode, [forCandidates])));
      const start = performance.now();
      const { results } = await memory.search(forSearch, { ...BIG, limit: 10, mode });
      whole[mode].push(performance.now() - start);
      if (mode !== 'keyword' && results.length !== 10) throw new Error(`search in ${mode} mode returned ${results.length} results`);
    }
  }

  // Recall@10 of the approximate vector candidates (the top 10 of k = 40, what vector mode returns) against exact KNN.
  const exactMs: number[] = [];
  const recallOf = async (queries: Float32Array[], timed: boolean): Promise<number> => {
    let recall = 0;
    for (const v of queries) {
      const approximate = (await storage.searchCandidates({ scope: BIG, k: K, vector: v })).vector.slice(0, 10);
      const start = performance.now();
      const exact = (await storage.searchCandidates({ scope: BIG, k: 10, vector: v, exact: true })).vector;
      if (timed) exactMs.push(performance.now() - start);
      const truth = new Set(exact.map((c) => c.id));
      recall += approximate.filter((c) => truth.has(c.id)).length / Math.max(1, truth.size);
    }
    return recall / queries.length;
  };
  const alike = await recallOf(await embedder.embed(words.batch(queryCount)), true);
  const unrelated = await recallOf(randomUnitVectors(queryCount, 31 + n), false);

  // Memory.add, one message per call, infer: false, into a user of its own so 'big' keeps its size.
  const random = seededRandom(5_000 + n);
  const adds = Array.from({ length: addCount }, (_, i) => `${sentence(i, random)} [added at ${n}]`);
  const addMs: number[] = [];
  const addStart = performance.now();
  for (const text of adds) {
    const start = performance.now();
    const { results } = await memory.add(text, { userId: `adder-${n}`, infer: false });
    addMs.push(performance.now() - start);
    if (results[0]?.event !== 'ADD') throw new Error('an add stored nothing');
  }
  const perSecond = addCount / ((performance.now() - addStart) / 1000);

  // Batched inserts through the port with the HNSW index maintained, into another user.
  const maintained = Array.from({ length: MAINTAINED_ROWS }, (_, i) => `${sentence(i, random)} [port at ${n}]`);
  const maintainedStart = performance.now();
  await load(storage, embedder, `port-${n}`, maintained);
  const maintainedPerSecond = MAINTAINED_ROWS / ((performance.now() - maintainedStart) / 1000);

  return { add: { ms: addMs, perSecond }, candidates, whole, exactMs, recallAt10: { alike, unrelated }, maintainedPerSecond };
}

/** Table and index sizes, MiB. */
async function relationSizes(db: PGlite): Promise<string> {
  const { rows } = await db.query<{ name: string; bytes: number | string }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes FROM pg_class c
     JOIN pg_namespace ns ON ns.oid = c.relnamespace
     WHERE ns.nspname = 'public' AND c.relname IN ('memories', 'memories_embedding_hnsw', 'memories_tsv', 'history', 'messages')
     UNION ALL SELECT 'database', pg_database_size(current_database())`,
  );
  const order = ['database', 'memories', 'memories_embedding_hnsw', 'memories_tsv', 'history', 'messages'];
  return rows
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
    .map((r) => `${r.name.replace('memories_embedding_hnsw', 'hnsw').replace('memories_tsv', 'gin(tsv)')} ${fmt(Number(r.bytes) / 2 ** 20, 1)}`)
    .join(', ');
}

/** A plan line without the query vector and the least telling details. */
function planLine(line: string): string | undefined {
  if (/Index Searches:|Heap Blocks:|Sort Method:/.test(line)) return undefined;
  const short = line.replace(/'\[[-0-9.,e]+\]'/g, "'[…]'").replace(/array_to_string\('(\{[^}]*\})'::text\[\], ' or '::text\)/g, '$1');
  return short.length > 170 ? `${short.slice(0, 169)}…` : short;
}

/**
 * The plans PostgreSQL picks for the engine's own search SQL: searchCandidates
 * run on a connection that EXPLAIN ANALYZEs each SELECT before running it.
 */
async function explainSearch(db: PGlite, embedder: ClusteredEmbedder, modes: readonly Mode[]): Promise<string[]> {
  const out: string[] = [];
  const text = PLAN_QUERY;
  const vector = (await embedder.embed([text]))[0] as Float32Array;
  for (const mode of modes) {
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const explaining: SqlQueryable = {
        query: async <R>(sql: string, params: readonly unknown[] = []) => {
          if (/^\s*SELECT[\s\S]*FROM memories m/i.test(sql)) {
            const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS ON, BUFFERS OFF) ${sql}`, [...params]);
            out.push(`    [${mode}] ${/ts_rank_cd/.test(sql) ? 'keyword candidates' : 'vector candidates'}`);
            for (const row of plan.rows) {
              const line = planLine(row['QUERY PLAN']);
              if (line !== undefined) out.push(`      ${line}`);
            }
          }
          return (await tx.query<R>(sql, [...params])).rows;
        },
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      };
      await searchCandidates(explaining, candidateQuery(mode, text, vector), { hnsw: true, iterativeScan: true });
    });
  }
  return out;
}


function printTable(rows: Row[], environment: string, maintenanceWorkMem: string): void {
  const p = (samples: number[], q: number) => fmt(percentile(samples, q));
  const pp = (samples: number[]) => `${p(samples, 50)} / ${p(samples, 95)}`;
  console.log(`\n${environment}`);
  console.log(`\nsearch latency after ANALYZE, ms ('big' scope; ${fmt(OTHER_USERS * PER_OTHER_USER, 0)} memories of other users in the same table)`);
  console.log(`(a) storage.searchCandidates, k = ${K} (what retrieve asks for limit 10)   (b) Memory.search(q, { limit: 10, mode }) end to end`);
  printAligned(
    ['N in scope', 'mode', '(a) p50', '(a) p95', '(b) p50', '(b) p95', 'without statistics (a) p50'],
    rows.flatMap((row) =>
      MODES.map((mode) => [
        row.n.toLocaleString('en-US'),
        mode,
        p(row.candidates[mode], 50),
        p(row.candidates[mode], 95),
        p(row.whole[mode], 50),
        p(row.whole[mode], 95),
        mode === 'hybrid' ? '' : p(row.noStats[mode], 50),
      ]),
    ),
  );

  console.log('\nper N');
  printAligned(
    ['N in scope', 'vector recall@10 vs exact: alike / random queries', 'exact KNN p50 / p95 (ms)', 'Memory.add p50 / p95 (ms)', 'adds/s', 'peak RSS (MiB)'],
    rows.map((row) => [
      row.n.toLocaleString('en-US'),
      `${row.recallAt10.alike.toFixed(3)} / ${row.recallAt10.unrelated.toFixed(3)}`,
      pp(row.exactMs),
      pp(row.add.ms),
      fmt(row.add.perSecond, 0),
      fmt(row.rssMiB, 0),
    ]),
  );
  console.log('');
  printAligned(
    [
      'N in scope',
      'inserts/s through the port (batched), HNSW dropped',
      `HNSW build (s, maintenance_work_mem ${maintenanceWorkMem})`,
      'inserts/s through the port (batched), HNSW kept',
      'ANALYZE (ms)',
      'first vector search, no statistics (ms)',
    ],
    rows.map((row) => [
      row.n.toLocaleString('en-US'),
      fmt(row.bulkPerSecond, 0),
      fmt(row.buildSeconds, 1) + (row.buildNotices.length > 0 ? ` (${row.buildNotices.join('; ')})` : ''),
      fmt(row.maintainedPerSecond, 0),
      fmt(row.analyzeMs, 0),
      fmt(row.noStats.firstVectorMs, 0),
    ]),
  );
  console.log('\nsizes (MiB)');
  for (const row of rows) console.log(`  ${row.n.toLocaleString('en-US')}: ${row.sizes}`);
}

async function benchSize(n: number, embedder: ClusteredEmbedder, options: { queryCount: number; addCount: number; maintenanceWorkMem: string; plans: boolean }): Promise<Row> {
  const db = await PGlite.create({ extensions: { vector: pgvector } });
  const storage = await PostgresStorage.open({ pglite: db });
  const memory = await Memory.open({ storage, embedder, llm: null });
  try {
    const words = new QueryWords();
    // Bulk load: the HNSW index (created by the binding) is dropped, then built again from its own definition.
    const { rows: defs } = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'memories_embedding_hnsw'`);
    const indexdef = defs[0]?.indexdef;
    if (indexdef === undefined) throw new Error('the binding created no HNSW index');
    await db.exec('DROP INDEX memories_embedding_hnsw');

    const bulkStart = performance.now();
    for (let u = 0; u < OTHER_USERS; u++) {
      const random = seededRandom(1_000 + u);
      await load(storage, embedder, `user-${u}`, Array.from({ length: PER_OTHER_USER }, (_, i) => `${sentence(i, random)} [user ${u}]`));
    }
    const random = seededRandom(7);
    let lastReport = performance.now();
    await load(
      storage,
      embedder,
      BIG.userId,
      Array.from({ length: n }, (_, i) => sentence(i, random)),
      (done) => {
        if (performance.now() - lastReport > 60_000) {
          lastReport = performance.now();
          console.log(`  … ${done.toLocaleString('en-US')} memories in 'big' (${fmt((done + OTHER_USERS * PER_OTHER_USER) / ((lastReport - bulkStart) / 1000), 0)} inserts/s so far)`);
        }
      },
    );
    const bulkSeconds = (performance.now() - bulkStart) / 1000;
    const total = n + OTHER_USERS * PER_OTHER_USER;
    const bulkPerSecond = total / bulkSeconds;

    const buildNotices: string[] = [];
    const buildStart = performance.now();
    await db.query(`SET maintenance_work_mem = '${options.maintenanceWorkMem}'`);
    await db.query(indexdef, [], { onNotice: (notice) => buildNotices.push(notice.message ?? String(notice)) });
    await db.query('RESET maintenance_work_mem');
    const buildSeconds = (performance.now() - buildStart) / 1000;
    console.log(
      `${n.toLocaleString('en-US')} in 'big' + ${(OTHER_USERS * PER_OTHER_USER).toLocaleString('en-US')} of ${OTHER_USERS} other users: loaded in ${fmt(bulkSeconds, 1)} s ` +
        `(${fmt(bulkPerSecond, 0)} inserts/s through the port, batches of ${LOAD_BATCH}, HNSW dropped); HNSW built in ${fmt(buildSeconds, 1)} s` +
        (buildNotices.length > 0 ? ` (${buildNotices.join('; ')})` : ''),
    );

    // As the engine leaves PGlite: nothing has run ANALYZE (PGlite has no autovacuum worker).
    const { rows: stats } = await db.query<{ analyzed: boolean }>(
      `SELECT (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed FROM pg_stat_user_tables WHERE relname = 'memories'`,
    );
    const firstVector = (await embedder.embed([words.fresh()]))[0] as Float32Array;
    const firstStart = performance.now();
    await storage.searchCandidates({ scope: BIG, k: K, vector: firstVector });
    const firstVectorMs = performance.now() - firstStart;
    const noStatsCount = Math.min(options.queryCount, NO_STATS_QUERIES);
    const noStats = {
      firstVectorMs,
      vector: await timeCandidates(storage, embedder, 'vector', words.batch(noStatsCount)),
      keyword: await timeCandidates(storage, embedder, 'keyword', words.batch(noStatsCount)),
    };
    console.log(
      `  without statistics (memories analyzed: ${stats[0]?.analyzed === true ? 'yes' : 'no'}): first vector search ${fmt(firstVectorMs, 0)} ms; ` +
        `searchCandidates p50 over ${noStatsCount} queries: vector ${fmt(percentile(noStats.vector, 50))} ms, keyword ${fmt(percentile(noStats.keyword, 50))} ms`,
    );
    const plansBefore = options.plans ? await explainSearch(db, embedder, ['vector', 'keyword']) : [];

    const analyzeStart = performance.now();
    await db.exec('ANALYZE');
    const analyzeMs = performance.now() - analyzeStart;

    const measureStart = performance.now();
    const measured = await measure(storage, memory, embedder, words, n, options.queryCount, options.addCount);
    const plansAfter = options.plans ? await explainSearch(db, embedder, MODES) : [];
    const row: Row = {
      n,
      bulkPerSecond,
      bulkSeconds,
      buildSeconds,
      buildNotices,
      noStats,
      analyzeMs,
      ...measured,
      sizes: await relationSizes(db),
      rssMiB: peakRssMiB(),
    };
    console.log(
      `  after ANALYZE (${fmt(analyzeMs, 0)} ms), measured in ${fmt((performance.now() - measureStart) / 1000, 1)} s: searchCandidates p50 ` +
        MODES.map((m) => `${m} ${fmt(percentile(row.candidates[m], 50))}`).join(', ') +
        ` ms; recall@10 ${row.recallAt10.alike.toFixed(3)} (random queries ${row.recallAt10.unrelated.toFixed(3)}); ` +
        `Memory.add ${fmt(row.add.perSecond, 0)}/s; port inserts with HNSW kept ${fmt(row.maintainedPerSecond, 0)}/s; peak RSS ${fmt(row.rssMiB, 0)} MiB`,
    );
    if (options.plans) {
      console.log(`  plans at ${n.toLocaleString('en-US')}, EXPLAIN ANALYZE of the engine's own SQL — without statistics:`);
      for (const line of plansBefore) console.log(line);
      console.log('  — after ANALYZE:');
      for (const line of plansAfter) console.log(line);
    }
    return row;
  } finally {
    await memory.close();
    await storage.close();
    await db.close();
  }
}

async function main(): Promise<void> {
  const sizes = envSizes();
  const queryCount = envInt('BENCH_PG_QUERIES', 200);
  const addCount = envInt('BENCH_PG_ADDS', 200);
  const maintenanceWorkMem = process.env['BENCH_PG_MAINTENANCE_WORK_MEM'] ?? '1GB';
  if (!/^\d+(kB|MB|GB)$/.test(maintenanceWorkMem)) throw new Error(`BENCH_PG_MAINTENANCE_WORK_MEM must look like 64MB or 1GB, not "${maintenanceWorkMem}"`);
  const plans = process.env['BENCH_PG_PLANS'] !== '0';
  const began = performance.now();

  // The versions and settings, from a throwaway instance.
  const startPg = performance.now();
  const probe = await PGlite.create({ extensions: { vector: pgvector } });
  const startMs = performance.now() - startPg;
  await probe.exec('CREATE EXTENSION IF NOT EXISTS vector');
  const { rows: versions } = await probe.query<{ pg: string; vector: string; shared: string; work: string; maintenance: string }>(
    `SELECT current_setting('server_version') AS pg, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector,
            current_setting('shared_buffers') AS shared, current_setting('work_mem') AS work, current_setting('maintenance_work_mem') AS maintenance`,
  );
  await probe.close();
  const v = versions[0] as { pg: string; vector: string; shared: string; work: string; maintenance: string };
  const environment =
    `PGlite in process: WASM PostgreSQL ${v.pg} + pgvector ${v.vector}, one session, data in memory ` +
    `(shared_buffers ${v.shared}, work_mem ${v.work}, maintenance_work_mem ${v.maintenance}); a native server will differ.`;
  console.log(
    `Engram PostgreSQL bench — Node ${process.version}, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; sizes ${sizes.map((s) => s.toLocaleString('en-US')).join(', ')} (a fresh database each); ${queryCount} queries, ${addCount} adds per size`,
  );
  console.log(environment);
  console.log(`PGlite started in ${fmt(startMs / 1000, 1)} s`);

  const embedder = new ClusteredEmbedder(new ClusteredVectors({ dimension: DIMENSION }));
  const rows: Row[] = [];
  for (const n of sizes) rows.push(await benchSize(n, embedder, { queryCount, addCount, maintenanceWorkMem, plans }));
  printTable(rows, environment, maintenanceWorkMem);
  console.log(`\ntotal run ${fmt((performance.now() - began) / 1000, 0)} s`);
}

runScript(main);
