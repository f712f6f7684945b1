/**
 * Engram's retrieval on the LoCoMo benchmark (a script, not a test):
 *   npm run eval:locomo                              # all 10 conversations, hybrid/vector/keyword
 *   npm run eval:locomo -- --conversations 2 --quiet # a quick run
 *   npm run eval:locomo -- --json locomo.json        # also write every figure as JSON
 *   npm run eval:locomo -- --infer --llm-model models/llm.gguf   # let the LLM decide what to store
 *
 * Each conversation is ingested into its own scope (userId = sample_id), then
 * every question is searched in each mode and scored on the evidence turns
 * found (recall@5/10/30, all-evidence@k) and on the gold answer's words found
 * in the top 10 (answer-token recall). The data is read from ../shared and
 * never copied into the project.
 */
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isEngramError, Memory, TransformersEmbedder, type Embedder, type Policy, type SearchOptions } from '../src/index.js';
import { summarizeGroups } from './eval/aggregate.js';
import { emptyIngestStats, ingestAsSaid, ingestInferred, type IngestStats } from './eval/ingest.js';
import { loadLocomo, type Conversation } from './eval/locomo-data.js';
import { Provenance } from './eval/provenance.js';
import { emptyQuirks, prepareQuestions, type DataQuirks, type PreparedQuestion } from './eval/questions.js';
import { formatIngest, formatQuirks, formatSummary, formatTable, type EvalReport, type LatencySummary } from './eval/report.js';
import { ALL_SEARCH_MODES, SEARCH_MODES, searchConversation, type PassResult, type SearchMode } from './eval/search-pass.js';
import { percentile } from './bench/stats.js';
import { ablationVariants, formatAblation, type AblationRow } from './eval/ablation.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `usage: npm run eval:locomo -- [options]
  --data <file>              locomo10.json (default ../shared/eval/locomo/locomo10.json from the project root)
  --embedding-model <folder> transformers.js model folder (default models/test/embedding)
  --db <file>                keep the database in this new file (default: a temp file, deleted at the end)
  --conversations <n>        only the first n conversations
  --modes <list>             search modes, comma-separated: hybrid, vector, keyword, hybrid-rrf (default hybrid,vector,keyword)
  --json <file>              also write every figure as JSON
  --quiet                    no progress lines
  --infer                    ingest with infer: true (needs a real LLM to mean anything)
  --llm-model <file.gguf>    the LLM for --infer (default models/llm.gguf)
  --llm-threads <n>          llama.cpp threads for --infer (default: llama.cpp's choice; 1 helps on a busy small machine)
  --chunk-turns <n>          turns per add with --infer (default 10)
  --graph                    keep the entity graph while ingesting, and search with its entity signal
  --search <json>            extra search options for every question, e.g. '{"neighbours":false}'
  --policy <json>            the store's policy, set before ingesting, e.g. '{"importance":true}' (with --infer)
  --ablation                 hybrid search in each configuration (signals only, + neighbours, + time, defaults;
                             + entity graph with --graph; + reranker with --reranker): what each step adds
  --reranker <folder>        a cross-encoder model folder; searches rerank (models/test/reranker: the generated one)`;

type Options = {
  data: string;
  embeddingModel: string;
  db: string | undefined;
  conversations: number | undefined;
  modes: SearchMode[];
  json: string | undefined;
  quiet: boolean;
  infer: boolean;
  llmModel: string;
  llmThreads: number | undefined;
  chunkTurns: number;
  graph: boolean;
  /** Extra search options for every question (JSON). */
  search: Partial<SearchOptions>;
  /** The store's policy, set before ingesting (JSON). */
  policy: Policy | undefined;
  /** Run hybrid search in each configuration of the ablation instead of the modes. */
  ablation: boolean;
  /** A cross-encoder folder: search with `rerank: true` (and, with --ablation, rows with the reranker). */
  reranker: string | undefined;
};

const OPTION_SPEC = {
  data: { type: 'string', default: join(root, '../shared/eval/locomo/locomo10.json') },
  'embedding-model': { type: 'string', default: join(root, 'models/test/embedding') },
  db: { type: 'string' },
  conversations: { type: 'string' },
  modes: { type: 'string', default: SEARCH_MODES.join(',') },
  json: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  infer: { type: 'boolean', default: false },
  'llm-model': { type: 'string', default: join(root, 'models/llm.gguf') },
  'llm-threads': { type: 'string' },
  'chunk-turns': { type: 'string', default: '10' },
  graph: { type: 'boolean', default: false },
  search: { type: 'string' },
  policy: { type: 'string' },
  ablation: { type: 'boolean', default: false },
  reranker: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** parseArgs, with a usage message instead of a stack trace for an unknown or malformed option. */
function readArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTION_SPEC }).values;
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
}

function parseOptions(argv: string[]): Options {
  const values = readArgs(argv);
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    data: resolve(values.data),
    embeddingModel: resolve(values['embedding-model']),
    db: values.db === undefined ? undefined : resolve(values.db),
    conversations: values.conversations === undefined ? undefined : positiveInt(values.conversations, '--conversations'),
    modes: parseModes(values.modes),
    json: values.json,
    quiet: values.quiet,
    infer: values.infer,
    llmModel: resolve(values['llm-model']),
    llmThreads: values['llm-threads'] === undefined ? undefined : positiveInt(values['llm-threads'], '--llm-threads'),
    chunkTurns: positiveInt(values['chunk-turns'], '--chunk-turns'),
    graph: values.graph,
    search: values.search === undefined ? {} : (JSON.parse(values.search) as Partial<SearchOptions>),
    policy: values.policy === undefined ? undefined : (JSON.parse(values.policy) as Policy),
    ablation: values.ablation,
    reranker: values.reranker === undefined ? undefined : resolve(values.reranker),
  };
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function parseModes(text: string): SearchMode[] {
  const modes = text.split(',').map((m) => m.trim());
  const unknown = modes.filter((m) => !(ALL_SEARCH_MODES as readonly string[]).includes(m));
  if (unknown.length > 0 || modes.length === 0) fail(`--modes takes ${ALL_SEARCH_MODES.join(', ')}; got ${text}`);
  return modes as SearchMode[];
}

function fail(message: string): never {
  console.error(`eval:locomo: ${message}`);
  process.exit(1);
}

/** What ingestion produced: counts, each conversation's provenance (by sample_id), wall time. */
type IngestRun = { stats: IngestStats; provenance: Map<string, Provenance>; totalMs: number };

/** Ingests every conversation into its own scope. */
async function ingestAll(options: Options, embedder: Embedder, dbPath: string, conversations: Conversation[], log: (line: string) => void): Promise<IngestRun> {
  const llm = options.infer ? { model: options.llmModel, ...(options.llmThreads ? { threads: options.llmThreads } : {}) } : null;
  const memory = await Memory.open({ path: dbPath, embedder, llm, graph: options.graph });
  if (options.policy) await memory.setPolicy(options.policy);
  const stats = emptyIngestStats();
  const provenance = new Map<string, Provenance>();
  const start = performance.now();
  try {
    for (const [i, conversation] of conversations.entries()) {
      const turns = conversation.sessions.reduce((n, s) => n + s.turns.length, 0);
      log(`ingest conversation ${i + 1}/${conversations.length} (${conversation.sampleId}, ${conversation.sessions.length} sessions, ${turns} turns)`);
      const p = new Provenance();
      if (options.infer) await ingestInferred(memory, conversation, p, stats, { chunkTurns: options.chunkTurns, progress: log });
      else await ingestAsSaid(memory, conversation, p, stats);
      provenance.set(conversation.sampleId, p);
    }
  } finally {
    await memory.close();
  }
  return { stats, provenance, totalMs: performance.now() - start };
}

/**
 * Runs every question in one mode. Each mode gets a freshly opened Memory, so
 * its query-embedding cache is empty and no mode rides on another's embeddings.
 */
async function searchAll(
  open: { graph: boolean; reranker: string | undefined },
  search: Partial<SearchOptions>,
  mode: SearchMode,
  embedder: Embedder,
  dbPath: string,
  questions: Map<string, PreparedQuestion[]>,
  references: Map<string, string>,
  provenance: Map<string, Provenance>,
  log: (line: string) => void,
): Promise<PassResult> {
  const memory = await Memory.open({ path: dbPath, embedder, llm: null, graph: open.graph, ...(open.reranker ? { reranker: { model: open.reranker } } : {}) });
  const pass: PassResult = { scores: [], latenciesMs: [] };
  const total = [...questions.values()].reduce((n, q) => n + q.length, 0);
  try {
    for (const [i, [sampleId, list]] of [...questions.entries()].entries()) {
      // The questions are asked after the conversation: "last year" counts from its last session.
      await searchConversation(memory, mode, list, provenance.get(sampleId) ?? new Provenance(), pass, { referenceDate: references.get(sampleId), ...search });
      log(`search ${mode}: conversation ${i + 1}/${questions.size}, ${pass.scores.length}/${total} questions`);
    }
  } finally {
    await memory.close();
  }
  return pass;
}

function latencyOf(samples: readonly number[]): LatencySummary {
  return {
    searches: samples.length,
    p50Ms: percentile(samples, 50),
    p95Ms: percentile(samples, 95),
    meanMs: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
  };
}

/**
 * Ingest figures. Memories left in the store: every ADD made one, every
 * DELETE removed one. Turns no memory stands for: 0 with infer: false (a
 * check of the bookkeeping); what the LLM left out with infer: true. Turns
 * per memory: 1 as said; above 1, evidence recall is easier to reach.
 */
function ingestFigures(ingest: IngestRun, conversations: readonly Conversation[]): EvalReport['ingest'] {
  const { stats, provenance, totalMs } = ingest;
  const memories = stats.events.ADD - stats.events.DELETE;
  const turnsWithoutMemory = conversations
    .flatMap((c) => c.sessions.flatMap((s) => s.turns.map((t) => provenance.get(c.sampleId)?.memoriesOf(t.dia_id).size ?? 0)))
    .filter((n) => n === 0).length;
  const turnCounts = [...provenance.values()].flatMap((p) => p.turnCounts());
  const turnsPerMemory = turnCounts.reduce((a, b) => a + b, 0) / Math.max(1, turnCounts.length);
  return { ...stats, memories, turnsWithoutMemory, turnsPerMemory, totalMs, msPerTurn: totalMs / Math.max(1, stats.turns), msPerMemory: memories > 0 ? totalMs / memories : null };
}

/** Each conversation's last session date, by sample_id. */
function lastSessionDates(conversations: readonly Conversation[]): Map<string, string> {
  return new Map(conversations.map((c) => [c.sampleId, c.sessions.map((s) => s.createdAt).sort().at(-1) ?? new Date().toISOString()]));
}

function prepareAll(conversations: Conversation[], quirks: DataQuirks): Map<string, PreparedQuestion[]> {
  return new Map(conversations.map((c) => [c.sampleId, prepareQuestions(c, quirks)]));
}

/** The database file: the one asked for (must not exist yet: scopes would mix with old runs), or a temp one. */
function databasePath(options: Options): { path: string; cleanup: () => void } {
  if (options.db !== undefined) {
    if (existsSync(options.db)) fail(`${options.db} already exists; give a new file (the eval ingests from scratch)`);
    return { path: options.db, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'engram-locomo-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // An interrupted run (Ctrl-C on a long --infer ingest) must not leave the temp database behind.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(code);
    });
  }
  return { path: join(dir, 'locomo.db'), cleanup };
}

async function run(options: Options): Promise<void> {
  const runAt = new Date().toISOString();
  const log = options.quiet ? () => {} : (line: string) => console.error(line);
  const all = loadLocomo(options.data);
  if (!all) fail(`LoCoMo data not found at ${options.data}.\nDownload locomo10.json from https://github.com/snap-research/LoCoMo (data/locomo10.json) and pass --data <path>.`);
  const conversations = all.slice(0, options.conversations ?? all.length);
  const embedder = new TransformersEmbedder({ model: options.embeddingModel });
  await embedder.embed(['load the model before timing']);
  const db = databasePath(options);
  try {
    const quirks = emptyQuirks();
    const questions = prepareAll(conversations, quirks);
    const ingest = await ingestAll(options, embedder, db.path, conversations, log);
    const report: EvalReport = {
      runAt,
      data: options.data,
      embeddingModel: options.embeddingModel,
      infer: options.infer,
      ...(options.infer ? { llmModel: options.llmModel } : {}),
      conversations: conversations.map((c) => c.sampleId),
      modes: options.modes,
      ingest: ingestFigures(ingest, conversations),
      latency: {},
      results: {},
      quirks,
    };
    const references = lastSessionDates(conversations);
    if (options.ablation) {
      const rows: AblationRow[] = [];
      for (const variant of ablationVariants({ graph: options.graph, reranker: options.reranker !== undefined })) {
        const open = { graph: options.graph, reranker: variant.rerank ? options.reranker : undefined };
        const pass = await searchAll(open, { ...variant.search, rerank: variant.rerank === true, ...options.search }, 'hybrid', embedder, db.path, questions, references, ingest.provenance, log);
        rows.push({ variant, summary: summarizeGroups(pass.scores), latency: latencyOf(pass.latenciesMs) });
      }
      printAblation(report, rows, options);
      if (options.json) writeFileSync(options.json, `${JSON.stringify({ ...report, ablation: rows }, null, 2)}\n`);
      return;
    }
    for (const mode of options.modes) {
      const rerank = options.reranker ? { rerank: true } : {};
      const pass = await searchAll({ graph: options.graph, reranker: options.reranker }, { ...rerank, ...options.search }, mode, embedder, db.path, questions, references, ingest.provenance, log);
      report.results[mode] = summarizeGroups(pass.scores);
      report.latency[mode] = latencyOf(pass.latenciesMs);
    }
    print(report);
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    db.cleanup();
    await embedder.dispose?.();
  }
}

function printAblation(report: EvalReport, rows: readonly AblationRow[], options: Options): void {
  const reranker = options.reranker ? `, reranker ${options.reranker}` : '';
  console.log(`LoCoMo retrieval ablation, ${report.runAt}, ${report.conversations.length} conversations, ${report.infer ? 'infer: true' : 'infer: false'}, embedder ${report.embeddingModel}${reranker}`);
  console.log(formatIngest(report));
  console.log('categories 1-4; R@k = evidence recall@k; per category R@10; ms per search() call, query embedding included');
  console.log('');
  console.log(formatAblation(rows));
}

function print(report: EvalReport): void {
  console.log(`LoCoMo retrieval, ${report.runAt}, ${report.conversations.length} conversations, ${report.infer ? 'infer: true' : 'infer: false'}, embedder ${report.embeddingModel}`);
  console.log(formatIngest(report));
  console.log(formatQuirks(report.quirks));
  console.log('');
  console.log(formatTable(report));
  console.log('');
  console.log(formatSummary(report));
}

run(parseOptions(process.argv.slice(2))).catch((error: unknown) => {
  if (isEngramError(error)) fail(`${error.code}: ${error.message}`);
  throw error;
});
