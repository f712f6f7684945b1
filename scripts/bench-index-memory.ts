/**
 * What the in-memory search indexes hold against their budget (`searchIndexMiB`),
 * as the process counts memory (a script, not a test):
 *   npm run bench:index-memory                  # 2,000 and 10,000 small scopes, 3 large ones; budgets 16, 64, 256 MiB
 *   npm run bench:index-memory -- --quick       # 2,000 small scopes and 1 large one
 *   npm run bench:index-memory -- --calibrate   # the accounting's constants against synthetic indexes (no SQLite)
 *
 * Each scenario's file is built once through the public API (`add(..., { infer:
 * false })`, batches of 100 messages; 384-d clustered vectors from a hash of the
 * text, no model run). Then, per budget, a fresh child process (so one
 * measurement's heap never carries into the next) opens it with that
 * `searchIndexMiB`, and after a forced gc reads RSS, heapUsed and arrayBuffers;
 * searches every scope once (hybrid: postings and vectors both built); reads
 * them again, with the bytes the cache accounts; drops the cache and reads
 * what that freed. The scope just searched always stays, so one scope larger
 * than the budget is held alone, over it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { Memory, type Embedder } from '../src/index.js';
import { ScopeIndex } from '../src/store/scope-index.js';
import { SearchIndexes } from '../src/store/search-indexes.js';
import { ClusteredVectors } from './bench/clustered-vectors.js';
import { fmt } from './bench/stats.js';
import { seededRandom, sentence } from './bench/synthetic-text.js';
import { parseFlags, runScript } from './lib/script-cli.js';

const MiB = 2 ** 20;
/** 0 is the baseline: only the scope just searched is held, so what grows then is the cost of searching (SQLite's caches, V8, malloc), not of holding indexes. */
const BUDGETS_MIB = [0, 16, 64, 256];
const DIMENSION = 384;
const BATCH = 100;
/** Set in a child process: which file to measure, with which budget. */
const CHILD_ENV = 'ENGRAM_BENCH_INDEX_MEMORY_CHILD';

const ScenarioSchema = z.object({
  name: z.string(),
  /** Memories per scope, one entry per scope. */
  sizes: z.array(z.number().int().positive()),
  /** Words of invented vocabulary added to each memory's sentence(s): short notes or long texts. */
  extraWords: z.number().int().min(0),
});
type Scenario = z.infer<typeof ScenarioSchema>;

const ChildTaskSchema = z.object({ path: z.string(), budgetMiB: z.number(), scopes: z.number().int().positive() });

/** RSS split as Linux counts it: anonymous memory (heap, malloc, array buffers) and file pages (SQLite maps the database file). */
const SnapshotSchema = z.object({ rss: z.number(), rssAnon: z.number(), rssFile: z.number(), heapUsed: z.number(), heapTotal: z.number(), arrayBuffers: z.number() });
type Snapshot = z.infer<typeof SnapshotSchema>;

const ChildResultSchema = z.object({
  before: SnapshotSchema,
  after: SnapshotSchema,
  /** After the cache was dropped. */
  dropped: SnapshotSchema,
  peakRss: z.number(),
  accounted: z.number(),
  held: z.number().int(),
  seconds: z.number(),
});
type ChildResult = z.infer<typeof ChildResultSchema>;

/** Stored texts and queries alike get a clustered vector from a hash of the text. */
class HashedVectorsEmbedder implements Embedder {
  readonly id = 'bench/clustered-384';
  readonly dimension = DIMENSION;
  private readonly vectors = new ClusteredVectors({ dimension: DIMENSION });

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.vectors.vectorOfText(t));
  }
}

/** Invented words with a Zipf-like frequency (a vocabulary of 20,000), so long texts bring many distinct terms. */
function inventedWords(random: () => number, count: number): string {
  const syllables = ['ka', 'lo', 'mi', 'ru', 'te', 'sa', 'no', 'vi', 'ze', 'po', 'gu', 'fe', 'da', 'hi', 'bo', 'wy', 'qe', 'xa', 'ju', 'ce'];
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    let n = Math.floor(20_000 * random() ** 3);
    let word = '';
    do {
      word += syllables[n % syllables.length] as string;
      n = Math.floor(n / syllables.length);
    } while (n > 0);
    words.push(word);
  }
  return words.join(' ');
}

function scopeName(s: number): string {
  return `user-${s}`;
}

async function build(scenario: Scenario, path: string): Promise<void> {
  const memory = await Memory.open({ path, embedder: new HashedVectorsEmbedder(), llm: null });
  const random = seededRandom(17);
  let n = 0;
  try {
    for (const [s, size] of scenario.sizes.entries()) {
      for (let i = 0; i < size; i += BATCH) {
        const chunk = Array.from({ length: Math.min(BATCH, size - i) }, () => ({
          role: 'user' as const,
          content: `${sentence(n++, random)} ${inventedWords(random, scenario.extraWords)}`.trim(),
        }));
        await memory.add(chunk, { userId: scopeName(s), infer: false });
      }
    }
  } finally {
    await memory.close();
  }
}

/** The connection's cache inside a Memory, found by walking its fields (they are private). */
function cacheOf(memory: Memory): SearchIndexes {
  const seen = new Set<object>([memory]);
  const queue: object[] = [memory];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as object;
    if (node instanceof SearchIndexes) return node;
    if (ArrayBuffer.isView(node)) continue;
    const children: unknown[] = node instanceof Map ? [...node.values()] : Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null && !seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  throw new Error('no SearchIndexes inside the Memory');
}

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function snapshot(gc: () => void): Snapshot {
  for (let i = 0; i < 3; i++) gc();
  const { rss, heapUsed, heapTotal, arrayBuffers } = process.memoryUsage();
  return { rss, rssAnon: procStatusBytes('RssAnon'), rssFile: procStatusBytes('RssFile'), heapUsed, heapTotal, arrayBuffers };
}

/** A field of /proc/self/status in bytes (NaN where there is none). */
function procStatusBytes(field: string): number {
  if (!existsSync('/proc/self/status')) return Number.NaN;
  const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** In the child: open with the budget, search every scope once, measure. */
async function measure(task: z.infer<typeof ChildTaskSchema>): Promise<ChildResult> {
  const gc = gcFunction();
  const memory = await Memory.open({ path: task.path, embedder: new HashedVectorsEmbedder(), llm: null, searchIndexMiB: task.budgetMiB });
  try {
    const cache = cacheOf(memory);
    await memory.search('warm up', { userId: 'nobody', mode: 'hybrid' }); // statements and the tokenizer, no index worth counting
    cache.clear();
    const before = snapshot(gc);
    const start = performance.now();
    for (let s = 0; s < task.scopes; s++) await memory.search('the dentist appointment kalo mite', { userId: scopeName(s), mode: 'hybrid', limit: 10 });
    const seconds = (performance.now() - start) / 1000;
    const after = snapshot(gc);
    const accounted = cache.heldBytes;
    const held = cache.heldIndexes().length;
    cache.clear();
    const dropped = snapshot(gc);
    return { before, after, dropped, peakRss: process.resourceUsage().maxRSS * 1024, accounted, held, seconds };
  } finally {
    await memory.close();
  }
}

function runChild(task: z.infer<typeof ChildTaskSchema>): ChildResult {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(task) },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  const last = out.trim().split('\n').pop() ?? '';
  return ChildResultSchema.parse(JSON.parse(last));
}

const mib = (bytes: number) => fmt(bytes / MiB, 1);
const delta = (a: number, b: number) => `${b >= a ? '+' : ''}${mib(b - a)}`;
const span = (a: number, b: number) => `${mib(a)} → ${mib(b)} (${delta(a, b)})`;

function printTable(rows: { scenario: Scenario; budgetMiB: number; result: ChildResult }[]): void {
  const header = [
    'scopes (memories each)',
    'budget',
    'held',
    'accounted',
    'freed on drop (heap+ab)',
    'heapUsed before → after (Δ)',
    'arrayBuffers before → after (Δ)',
    'RSS before → after (Δ)',
    'Δ RSS anon',
    'Δ RSS file (SQLite mmap)',
    'Δ V8 heapTotal',
    'peak RSS',
    'search all (s)',
  ];
  const lines = rows.map(({ scenario, budgetMiB, result: r }) => [
    scenario.name,
    `${budgetMiB}`,
    `${r.held.toLocaleString('en-US')}/${scenario.sizes.length.toLocaleString('en-US')}`,
    mib(r.accounted),
    mib(r.after.heapUsed + r.after.arrayBuffers - r.dropped.heapUsed - r.dropped.arrayBuffers),
    span(r.before.heapUsed, r.after.heapUsed),
    span(r.before.arrayBuffers, r.after.arrayBuffers),
    span(r.before.rss, r.after.rss),
    delta(r.before.rssAnon, r.after.rssAnon),
    delta(r.before.rssFile, r.after.rssFile),
    delta(r.before.heapTotal, r.after.heapTotal),
    mib(r.peakRss),
    fmt(r.seconds, 1),
  ]);
  console.log('\nMiB unless noted; every figure after a forced gc; "held" = scopes whose index is still cached after searching each once');
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ').trimEnd();
  console.log(render(header));
  console.log(render(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(render(l));
}

/**
 * The per-structure constants (keyword-index.ts, scope-index.ts) checked
 * against the heap: synthetic indexes built and held, deltas after gc.
 */
function calibrate(): void {
  const gc = gcFunction();
  const random = seededRandom(3);
  // Fresh strings per token, as SQLite hands them to the tokenizer's callback.
  const terms = (n: number) => inventedWords(random, n).split(' ').map((t) => Buffer.from(t).toString('latin1'));
  const build = (memories: number, words: number, dimension: number | undefined, seq: number): ScopeIndex => {
    const index = new ScopeIndex();
    for (let i = 0; i < memories; i += 2_000) {
      const n = Math.min(2_000, memories - i);
      index.addAll(
        Array.from({ length: n }, (_, j) => seq + i + j + 1),
        Array.from({ length: n }, () => terms(words)),
      );
    }
    index.trim();
    if (dimension !== undefined) {
      const vectors = index.startVectors(dimension, 256);
      const vector = Float32Array.from({ length: dimension }, () => random() - 0.5);
      for (let slot = 0; slot < memories; slot++) vectors.set(slot, vector);
      if (memories >= 2_000) vectors.sketch(memories);
    }
    return index;
  };
  const cases: [label: string, count: number, memories: number, words: number, dimension: number | undefined][] = [
    ['empty index', 20_000, 0, 0, undefined],
    ['1 memory, 10 terms, no vectors', 20_000, 1, 10, undefined],
    ['1 memory, 10 terms, 384-d', 20_000, 1, 10, DIMENSION],
    ['5 memories, 20 terms, 384-d', 10_000, 5, 20, DIMENSION],
    ['20,000 memories, 150 terms, no vectors', 1, 20_000, 150, undefined],
    ['20,000 memories, 150 terms, 384-d + sketch', 3, 20_000, 150, DIMENSION],
  ];
  console.log('per index: accounted (`bytes`) vs heapUsed + arrayBuffers held (after gc), and RSS');
  for (const [label, count, memories, words, dimension] of cases) {
    const before = snapshot(gc);
    const held = Array.from({ length: count }, (_, c) => build(memories, words, dimension, c * memories));
    const after = snapshot(gc);
    const accounted = held.reduce((sum, index) => sum + index.bytes, 0) / count;
    const real = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / count;
    const rss = (after.rss - before.rss) / count;
    console.log(
      `  ${label.padEnd(44)} × ${String(count).padStart(6)}: accounted ${fmt(accounted, 0).padStart(12)}  heap+ab ${fmt(real, 0).padStart(12)}  (${fmt(real / accounted, 3)})  RSS ${fmt(rss, 0).padStart(12)}`,
    );
    held.length = 0;
  }
}

function scenarios(quick: boolean): Scenario[] {
  const small = (users: number): Scenario => ({ name: `${users.toLocaleString('en-US')} × 1–5`, sizes: Array.from({ length: users }, (_, u) => 1 + ((u * 7) % 5)), extraWords: 4 });
  const large = (scopes: number): Scenario => ({ name: `${scopes} × 20,000 long`, sizes: Array.from({ length: scopes }, () => 20_000), extraWords: 60 });
  return quick ? [small(2_000), large(1)] : [small(2_000), small(10_000), large(3)];
}

async function main(): Promise<void> {
  const child = process.env[CHILD_ENV];
  if (child !== undefined) {
    console.log(JSON.stringify(await measure(ChildTaskSchema.parse(JSON.parse(child)))));
    return;
  }
  const flags = parseFlags(process.argv.slice(2), ['quick', 'calibrate']);
  console.log(
    `Engram index-memory bench — Node ${process.version}, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (flags.calibrate) {
    calibrate();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-index-memory-'));
  const rows: { scenario: Scenario; budgetMiB: number; result: ChildResult }[] = [];
  try {
    for (const scenario of scenarios(flags.quick)) {
      const path = join(dir, `${rows.length}.db`);
      const start = performance.now();
      await build(scenario, path);
      const memories = scenario.sizes.reduce((a, b) => a + b, 0);
      console.log(`${scenario.name}: ${memories.toLocaleString('en-US')} memories written in ${fmt((performance.now() - start) / 1000, 1)} s`);
      for (const budgetMiB of BUDGETS_MIB) {
        const result = runChild({ path, budgetMiB, scopes: scenario.sizes.length });
        rows.push({ scenario, budgetMiB, result });
        console.log(`  budget ${budgetMiB} MiB: ${result.held} held, accounted ${mib(result.accounted)} MiB, searched in ${fmt(result.seconds, 1)} s`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
}

runScript(main);
