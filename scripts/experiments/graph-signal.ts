/**
 * Experiment: does an entity-graph signal raise LoCoMo evidence recall,
 * multi-hop (category 1) above all?
 *
 *   npx tsx scripts/experiments/graph-signal.ts                     # all 10 conversations (~6 min on 2 cores)
 *   npx tsx scripts/experiments/graph-signal.ts --conversations 2   # a quick run
 *   npx tsx scripts/experiments/graph-signal.ts --json out.json     # also every variant's figures
 *
 * Ingests as `npm run eval:locomo` does (infer: false, one memory per turn,
 * scripts/eval/ingest.ts), then links every memory's text offline
 * (src/graph/entity-linker.ts) and builds, here in memory, the entity index
 * of each conversation (scripts/experiments/entity-signal.ts). Each question
 * is searched once (hybrid, limit 50); every variant re-ranks that same list
 * as hybrid + w × entity signal, optionally with graph candidates (memories
 * that name the query's entities but that search did not find) added at the
 * bottom of the list before re-ranking. Variants: the weight w, the depth of
 * the neighbourhood (0-2), IDF weighting or not, the speakers of a turn as
 * entities of its memory or not, noun compounds as entities or not, and
 * query names matched by embedding when no name matches.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Memory, TransformersEmbedder, type Embedder, type MemoryItem } from '../../src/index.js';
import { extractEntityMentions, normalizeEntityName } from '../../src/graph/entity-linker.js';
import { summarizeGroups, type Summary } from '../eval/aggregate.js';
import { emptyIngestStats, ingestAsSaid } from '../eval/ingest.js';
import { loadLocomo, turnContent, type Conversation } from '../eval/locomo-data.js';
import { scoreQuestion, type QuestionScore } from '../eval/metrics.js';
import { Provenance } from '../eval/provenance.js';
import { emptyQuirks, prepareQuestions, type PreparedQuestion } from '../eval/questions.js';
import { fmt, percentile } from '../bench/stats.js';
import { projectRoot, runScript } from '../lib/script-cli.js';
import { SeededRandom } from '../lib/seeded-random.js';
import { EntityIndex, entitySignal, type SignalOptions } from './entity-signal.js';

/** Results asked of search: the list every variant re-ranks. */
const SEARCH_LIMIT = 50;
/** Graph candidates: memories whose direct signal reaches this, best first, at most MAX_ADDED per query. */
const ADD_MIN_DIRECT = 0.5;
const MAX_ADDED = 20;
/** A query name with no indexed name matches the indexed name whose embedding is at least this close. */
const NAME_COSINE = 0.8;
const WEIGHTS = [0.02, 0.05, 0.1, 0.2, 0.4] as const;

/**
 * Which entities a memory has, beside what its text names: 'text' takes every name in the text, also a name
 * only said to someone ("Thanks, Mel!"); 'text-topic' drops those; '+speaker' adds the turn's speaker (the
 * message's `name`) to either; 'speaker' is the speaker alone (no entity from the text: a prior on who said it).
 */
const SPEAKER_MODES = ['text', 'text-topic', 'text+speaker', 'text-topic+speaker', 'speaker'] as const;
type SpeakerMode = (typeof SPEAKER_MODES)[number];
type Config = { compounds: boolean; speakers: SpeakerMode };
type Variant = SignalOptions & Config & { key: string; family: string; w: number; add: boolean; embedNames: boolean };
type Hit = { id: string; score: number };
/** One conversation ready to query: its memories' entities under each config, and the names' embeddings. */
type Scope = { conversation: Conversation; provenance: Provenance; texts: string[]; indexes: Map<string, EntityIndex>; names: Map<string, { keys: string[]; vectors: Float32Array[] }> };
type Asked = { question: PreparedQuestion; half: 0 | 1; baseline: Hit[]; searchMs: number };

const configKey = (c: Config) => `${c.compounds ? 'compounds' : 'names'}/${c.speakers}`;
const CONFIGS: Config[] = [false, true].flatMap((compounds) => SPEAKER_MODES.map((speakers) => ({ compounds, speakers })));

function variants(): Variant[] {
  const out: Variant[] = [];
  const push = (v: Omit<Variant, 'key' | 'family'>) => {
    const family = `${configKey(v)} ${v.weighting} d${v.depth}${v.add ? ' +add' : ''}${v.embedNames ? ' +embed' : ''}`;
    out.push({ ...v, family, key: `${family} w=${v.w}` });
  };
  for (const config of CONFIGS)
    for (const weighting of ['flat', 'idf', 'idf-abs'] as const)
      for (const depth of [0, 1, 2] as const) for (const add of [false, true]) for (const w of WEIGHTS) push({ ...config, weighting, depth, add, w, embedNames: false });
  // Name matching by embedding when no name matches.
  for (const config of CONFIGS) for (const w of WEIGHTS) push({ ...config, weighting: 'idf', depth: 0, add: false, w, embedNames: true });
  return out;
}

async function ingest(memory: Memory, conversations: readonly Conversation[]): Promise<Map<string, Provenance>> {
  const provenance = new Map<string, Provenance>();
  const stats = emptyIngestStats();
  for (const conversation of conversations) {
    const p = new Provenance();
    await ingestAsSaid(memory, conversation, p, stats);
    provenance.set(conversation.sampleId, p);
  }
  return provenance;
}

async function allMemories(memory: Memory, userId: string): Promise<MemoryItem[]> {
  const out: MemoryItem[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { results } = await memory.getAll({ userId, limit: 1000, offset });
    out.push(...results);
    if (results.length < 1000) return out;
  }
}

/** The text a turn's memory holds after "Speaker: ", which the eval prefixes (the speaker is the message's name). */
function said(item: MemoryItem): { speaker: string; text: string } {
  const speaker = typeof item.metadata['speaker'] === 'string' ? item.metadata['speaker'] : '';
  const text = item.memory.startsWith(`${speaker}: `) ? item.memory.slice(speaker.length + 2) : item.memory;
  return { speaker, text };
}

type LinkerCost = { compounds: boolean; msPerText: number[] };

async function buildScope(memory: Memory, embedder: Embedder, conversation: Conversation, provenance: Provenance, costs: LinkerCost[]): Promise<Scope> {
  const items = await allMemories(memory, conversation.sampleId);
  const indexes = new Map<string, EntityIndex>();
  const names = new Map<string, { keys: string[]; vectors: Float32Array[] }>();
  for (const compounds of [false, true]) {
    const cost = costs.find((c) => c.compounds === compounds) as LinkerCost;
    const linked = items.map((item) => {
      const { speaker, text } = said(item);
      const start = performance.now();
      const mentions = extractEntityMentions(text, { compounds });
      cost.msPerText.push(performance.now() - start);
      return { id: item.id, speaker: normalizeEntityName(speaker), mentions };
    });
    const persons = new Set(linked.flatMap((l) => [l.speaker, ...l.mentions.filter((m) => m.type === 'person').map((m) => normalizeEntityName(m.name))]));
    for (const speakers of SPEAKER_MODES) {
      const entries = linked.map((l) => {
        const topic = speakers.startsWith('text-topic');
        const fromText = speakers === 'speaker' ? [] : l.mentions.filter((m) => !(topic && m.addressed));
        const entities = new Set(fromText.map((m) => normalizeEntityName(m.name)));
        if (speakers.endsWith('speaker') && l.speaker.length > 0) entities.add(l.speaker);
        return { id: l.id, entities };
      });
      const index = new EntityIndex(entries, persons);
      const key = configKey({ compounds, speakers });
      indexes.set(key, index);
      const keys = [...index.keys()];
      names.set(key, { keys, vectors: keys.length > 0 ? await embedder.embed(keys) : [] });
    }
  }
  return { conversation, provenance, texts: items.map((item) => said(item).text), indexes, names };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** The query's entities under one config; the names nothing matched are returned for the embedding fallback. */
function queryEntities(index: EntityIndex, question: string, compounds: boolean): { matched: string[]; unmatched: string[] } {
  const matched: string[] = [];
  const unmatched: string[] = [];
  for (const m of extractEntityMentions(question, { compounds })) {
    const found = index.resolve(m.name);
    if (found.length > 0) matched.push(...found);
    else unmatched.push(normalizeEntityName(m.name));
  }
  return { matched, unmatched };
}

/** Re-ranks one search's list with one variant. */
function rerank(baseline: readonly Hit[], index: EntityIndex, entities: readonly string[], variant: Variant): string[] {
  const { direct, signal } = entitySignal(index, entities, variant);
  const list = [...baseline];
  if (variant.add) {
    const floor = Math.min(...baseline.map((h) => h.score)) - 1e-6;
    const seen = new Set(baseline.map((h) => h.id));
    const extra = [...direct].filter(([id, d]) => d >= ADD_MIN_DIRECT && !seen.has(id)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [id] of extra.slice(0, MAX_ADDED)) list.push({ id, score: floor });
  }
  return list
    .map((h, rank) => ({ id: h.id, rank, score: h.score + variant.w * (signal.get(h.id) ?? 0) }))
    .sort((a, b) => b.score - a.score || a.rank - b.rank)
    .map((h) => h.id);
}

function score(asked: Asked, ids: readonly string[], provenance: Provenance): QuestionScore {
  const items = ids.map((id) => ({ diaIds: provenance.diaIdsOf(id), text: '' }));
  return scoreQuestion({ ...asked.question, answerTokens: [] }, items, () => []);
}

type Row = { key: string; all: Record<string, Summary>; halves: [Record<string, Summary>, Record<string, Summary>] };

function summarizeRow(key: string, scores: readonly { half: 0 | 1; score: QuestionScore }[]): Row {
  return {
    key,
    all: summarizeGroups(scores.map((s) => s.score)),
    halves: [summarizeGroups(scores.filter((s) => s.half === 0).map((s) => s.score)), summarizeGroups(scores.filter((s) => s.half === 1).map((s) => s.score))],
  };
}

const cell = (s: Summary | undefined, k: 5 | 10) => (s?.evidenceRecall[k] === null || s === undefined ? '    -' : fmt(s.evidenceRecall[k] as number, 3));

/** Variants whose gain gets a confidence interval. */
const BOOTSTRAPPED = [
  'names/text idf d0 w=0.1',
  'names/speaker idf d0 w=0.1',
  'names/text-topic+speaker idf d0 w=0.1',
  'names/text-topic+speaker idf d0 w=0.2',
  'names/text-topic+speaker idf d1 w=0.1',
  'names/text-topic+speaker idf d0 +add w=0.1',
];

const sign = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x, 3)}`;

/** Mean of the deltas and its 95% percentile interval, resampling questions with a fixed seed. */
function bootstrap(deltas: readonly number[], rounds = 2000): { mean: number; low: number; high: number } {
  const random = new SeededRandom(42);
  const means: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let sum = 0;
    for (let i = 0; i < deltas.length; i++) sum += deltas[Math.floor(random.next() * deltas.length)] as number;
    means.push(sum / Math.max(1, deltas.length));
  }
  return { mean: deltas.reduce((a, b) => a + b, 0) / Math.max(1, deltas.length), low: percentile(means, 2.5), high: percentile(means, 97.5) };
}

function formatRows(rows: readonly Row[], base: Row): string {
  const groups = ['1', '2', '3', '4', '1-4'];
  const header = `${'variant'.padEnd(44)} ${groups.map((g) => `${g}: R@5  R@10`.padStart(16)).join(' ')}   Δ1@10  Δall@10  (halves Δ1@10)`;
  const lines = rows.map((row) => {
    const d = (g: string, r: Record<string, Summary>, b: Record<string, Summary>) => ((r[g]?.evidenceRecall[10] ?? 0) - (b[g]?.evidenceRecall[10] ?? 0));
    return `${row.key.padEnd(44)} ${groups.map((g) => `${cell(row.all[g], 5)} ${cell(row.all[g], 10)}`.padStart(16)).join(' ')}   ${sign(d('1', row.all, base.all)).padStart(6)}  ${sign(d('1-4', row.all, base.all)).padStart(7)}  (${sign(d('1', row.halves[0], base.halves[0]))} / ${sign(d('1', row.halves[1], base.halves[1]))})`;
  });
  return [header, ...lines].join('\n');
}

/** Coverage: how often the graph can help at all. */
function coverage(scopes: readonly Scope[], asked: readonly Asked[], config: Config): string {
  const lines: string[] = [];
  for (const category of [1, 2, 3, 4]) {
    let questions = 0;
    let named = 0;
    let specific = 0;
    let evidence = 0;
    let evidenceNamed = 0;
    for (const a of asked.filter((x) => x.question.category === category)) {
      const scope = scopes.find((s) => s.conversation.sampleId === a.question.sampleId) as Scope;
      const index = scope.indexes.get(configKey(config)) as EntityIndex;
      const speakers = new Set([scope.conversation.speakerA, scope.conversation.speakerB].map(normalizeEntityName));
      const { matched } = queryEntities(index, a.question.question, config.compounds);
      questions += 1;
      if (matched.length > 0) named += 1;
      const nonSpeaker = matched.filter((e) => !speakers.has(e));
      if (nonSpeaker.length > 0) specific += 1;
      for (const diaId of a.question.evidence) {
        evidence += 1;
        const ids = [...scope.provenance.memoriesOf(diaId)];
        if (ids.some((id) => nonSpeaker.some((e) => index.entitiesOf.get(id)?.has(e)))) evidenceNamed += 1;
      }
    }
    lines.push(
      `  category ${category}: ${questions} questions, ${fmt((100 * named) / questions, 0)}% name an indexed entity, ${fmt((100 * specific) / questions, 0)}% one that is not a speaker; ` +
        `${fmt((100 * evidenceNamed) / Math.max(1, evidence), 0)}% of evidence turns mention a non-speaker query entity`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { conversations: { type: 'string' }, json: { type: 'string' }, data: { type: 'string' } } });
  const data = values.data ?? join(projectRoot, '../shared/eval/locomo/locomo10.json');
  const all = loadLocomo(data);
  if (!all) throw new Error(`LoCoMo data not found at ${data}`);
  const conversations = all.slice(0, values.conversations === undefined ? all.length : Number(values.conversations));
  const embedder = new TransformersEmbedder({ model: join(projectRoot, 'models/test/embedding') });
  await embedder.embed(['load the model']);
  extractEntityMentions('Load the tagger, Dr. Smith.');
  const dir = mkdtempSync(join(tmpdir(), 'engram-graph-signal-'));
  const memory = await Memory.open({ path: join(dir, 'locomo.db'), embedder, llm: null });
  try {
    let start = performance.now();
    const provenance = await ingest(memory, conversations);
    console.log(`ingested ${conversations.length} conversations in ${fmt((performance.now() - start) / 1000, 1)} s`);
    const costs: LinkerCost[] = [{ compounds: false, msPerText: [] }, { compounds: true, msPerText: [] }];
    start = performance.now();
    const scopes: Scope[] = [];
    for (const c of conversations) scopes.push(await buildScope(memory, embedder, c, provenance.get(c.sampleId) as Provenance, costs));
    console.log(`linked and indexed in ${fmt((performance.now() - start) / 1000, 1)} s (both linker settings, four indexes each, names embedded)`);
    // Timed again on its own, warm: the figures above include a cold tagger and interleaved database work.
    const texts = scopes.flatMap((s) => s.texts);
    for (const c of costs) {
      c.msPerText = texts.map((text) => {
        const t = performance.now();
        extractEntityMentions(text, { compounds: c.compounds });
        return performance.now() - t;
      });
    }
    for (const c of costs) {
      const ms = c.msPerText;
      console.log(`  linker${c.compounds ? ' +compounds' : ''}: ${ms.length} texts (mean ${fmt(texts.reduce((a, t) => a + t.length, 0) / texts.length, 0)} characters), mean ${fmt(ms.reduce((a, b) => a + b, 0) / ms.length)} ms, p50 ${fmt(percentile(ms, 50))} ms, p95 ${fmt(percentile(ms, 95))} ms, max ${fmt(Math.max(...ms))} ms per text`);
    }
    for (const s of scopes.slice(0, 2)) {
      const index = s.indexes.get('names/text-topic+speaker') as EntityIndex;
      const top = [...index.keys()].sort((a, b) => index.df(b) - index.df(a)).slice(0, 12);
      console.log(`  ${s.conversation.sampleId} (${index.size} memories, ${index.memoriesOf.size} entities): ${top.map((e) => `${e} ${index.df(e)} (idf ${fmt(index.idf(e))})`).join(', ')}`);
    }

    const asked: Asked[] = [];
    const quirks = emptyQuirks();
    conversations.forEach((c, i) => {
      for (const question of prepareQuestions(c, quirks)) if (question.evidence.length > 0) asked.push({ question, half: i < conversations.length / 2 ? 0 : 1, baseline: [], searchMs: 0 });
    });
    for (const a of asked) {
      const t = performance.now();
      const { results } = await memory.search(a.question.question, { userId: a.question.sampleId, limit: SEARCH_LIMIT });
      a.searchMs = performance.now() - t;
      a.baseline = results.map((r) => ({ id: r.id, score: r.score }));
    }
    const searchMs = asked.map((a) => a.searchMs);
    console.log(`searched ${asked.length} questions: p50 ${fmt(percentile(searchMs, 50))} ms, p95 ${fmt(percentile(searchMs, 95))} ms per search (limit ${SEARCH_LIMIT})`);

    // Query entities per config (and the embedding fallback), timed: the linker on the question, then name matching.
    const scopeOf = new Map(scopes.map((s) => [s.conversation.sampleId, s]));
    const queryCache = new Map<string, { plain: string[]; embedded: string[]; linkMs: number; embedMs: number }>();
    for (const a of asked) {
      const scope = scopeOf.get(a.question.sampleId) as Scope;
      for (const config of CONFIGS) {
        const key = configKey(config);
        const index = scope.indexes.get(key) as EntityIndex;
        const t = performance.now();
        const { matched, unmatched } = queryEntities(index, a.question.question, config.compounds);
        const linkMs = performance.now() - t;
        const t2 = performance.now();
        const embedded = [...matched];
        if (unmatched.length > 0) {
          const names = scope.names.get(key) as { keys: string[]; vectors: Float32Array[] };
          for (const vector of await embedder.embed(unmatched)) {
            let best = NAME_COSINE;
            let match: string | undefined;
            names.vectors.forEach((v, i) => {
              const c = dot(vector, v);
              if (c >= best) [best, match] = [c, names.keys[i]];
            });
            if (match !== undefined) embedded.push(match);
          }
        }
        queryCache.set(`${a.question.sampleId}\u0000${a.question.question}\u0000${key}`, { plain: matched, embedded, linkMs, embedMs: performance.now() - t2 });
      }
    }

    const base = summarizeRow('baseline: hybrid (limit 50, first 10)', asked.map((a) => ({ half: a.half, score: score(a, a.baseline.map((h) => h.id), (scopeOf.get(a.question.sampleId) as Scope).provenance) })));
    const rows: Row[] = [];
    const rerankMs = new Map<string, number[]>();
    const perQuestion = new Map<string, Float64Array>();
    const baseR10 = Float64Array.from(asked.map((a) => score(a, a.baseline.map((h) => h.id), (scopeOf.get(a.question.sampleId) as Scope).provenance).evidenceRecall?.[10] ?? 0));
    const variantList = variants();
    for (const variant of variantList) {
      const key = configKey(variant);
      const times: number[] = [];
      const scores = asked.map((a) => {
        const scope = scopeOf.get(a.question.sampleId) as Scope;
        const q = queryCache.get(`${a.question.sampleId}\u0000${a.question.question}\u0000${key}`) as { plain: string[]; embedded: string[]; linkMs: number; embedMs: number };
        const t = performance.now();
        const ids = rerank(a.baseline, scope.indexes.get(key) as EntityIndex, variant.embedNames ? q.embedded : q.plain, variant);
        times.push(performance.now() - t + q.linkMs + (variant.embedNames ? q.embedMs : 0));
        return { half: a.half, score: score(a, ids, scope.provenance) };
      });
      rerankMs.set(variant.key, times);
      perQuestion.set(variant.key, Float64Array.from(scores.map((x) => x.score.evidenceRecall?.[10] ?? 0)));
      rows.push(summarizeRow(variant.key, scores));
    }

    console.log('\ncoverage (names, speakers as entities):');
    console.log(coverage(scopes, asked, { compounds: false, speakers: 'text-topic+speaker' }));
    console.log('coverage (names + noun compounds, speakers as entities):');
    console.log(coverage(scopes, asked, { compounds: true, speakers: 'text-topic+speaker' }));

    console.log(`\nevidence recall by category; Δ = R@10 against the baseline; halves = conversations 1-${Math.ceil(conversations.length / 2)} / the rest`);
    console.log(formatRows([base], base));
    const r10 = (r: Row, g: string) => r.all[g]?.evidenceRecall[10] ?? 0;
    console.log('\nevery config at w = 0.1, depth 0, no graph candidates:');
    console.log(formatRows(rows.filter((r) => r.key.endsWith(' d0 w=0.1')), base));
    console.log('\ndepth, graph candidates and name embedding on the names/text-topic+speaker config, w = 0.1:');
    console.log(formatRows(rows.filter((r) => r.key.startsWith('names/text-topic+speaker ') && r.key.endsWith('w=0.1')), base));
    console.log('\nthe 15 best variants on multi-hop R@10:');
    console.log(formatRows([...rows].sort((a, b) => r10(b, '1') - r10(a, '1')).slice(0, 15), base));
    console.log('\nthe 10 best variants on categories 1-4 R@10:');
    console.log(formatRows([...rows].sort((a, b) => r10(b, '1-4') - r10(a, '1-4')).slice(0, 10), base));
    console.log(`\nweight sensitivity, R@10 multi-hop / categories 1-4 (baseline ${cell(base.all['1'], 10)}/${cell(base.all['1-4'], 10)}):`);
    console.log(`  ${'weights:'.padEnd(50)} ${WEIGHTS.map((w) => String(w).padEnd(11)).join('  ')}`);
    const families = [...new Set(variantList.map((v) => v.family))].filter((f) => f.includes(' d0') || f.startsWith('names/text-topic+speaker '));
    for (const family of families) {
      const cells = WEIGHTS.map((w) => rows.find((r) => r.key === `${family} w=${w}`) as Row).map((r) => `${cell(r.all['1'], 10)}/${cell(r.all['1-4'], 10)}`);
      console.log(`  ${family.padEnd(50)} ${cells.join('  ')}`);
    }
    console.log('\npaired bootstrap, Δ R@10 against the baseline with a 95% interval (2,000 resamples of the questions):');
    for (const key of BOOTSTRAPPED) {
      const r = perQuestion.get(key);
      if (!r) continue;
      const cells = [[1], [2], [3], [4], [1, 2, 3, 4]].map((cats) => {
        const idx = asked.flatMap((a, i) => (cats.includes(a.question.category) ? [i] : []));
        const { mean, low, high } = bootstrap(idx.map((i) => (r[i] as number) - (baseR10[i] as number)));
        return `${cats.length > 1 ? '1-4' : cats[0]}: ${sign(mean)} [${sign(low)}, ${sign(high)}]`;
      });
      console.log(`  ${key.padEnd(44)} ${cells.join('  ')}`);
    }
    console.log('\nadded latency per query (linker on the question + matching + signal + re-rank; embedding fallback where used):');
    for (const key of ['names/text-topic+speaker idf-abs d0 w=0.1', 'names/text-topic+speaker idf d1 w=0.1', 'names/text-topic+speaker idf d2 +add w=0.1', 'compounds/text-topic+speaker idf d2 +add w=0.1', 'compounds/text-topic+speaker idf d0 +embed w=0.1']) {
      const t = rerankMs.get(key) ?? [];
      console.log(`  ${key.padEnd(50)} p50 ${fmt(percentile(t, 50))} ms, p95 ${fmt(percentile(t, 95))} ms, mean ${fmt(t.reduce((a, b) => a + b, 0) / Math.max(1, t.length))} ms`);
    }
    if (values.json) writeFileSync(values.json, `${JSON.stringify({ baseline: base, rows }, null, 2)}\n`);
  } finally {
    await memory.close();
    await embedder.dispose?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

runScript(main);
