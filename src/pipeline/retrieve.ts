import type { FilterNode } from '../filter.js';
import type { MemoryItem, Scope, ScoredMemory, SearchMode, SearchSignals } from '../schema.js';
import type { Storage } from '../storage/storage.js';
import { reciprocalRankFusion } from './fusion.js';
import { bestFirst } from './ranking.js';
import { entitySignal, type QueryEntities } from './graph/entity-signal.js';
import { weighByNeighbours, type NeighbourOptions } from './neighbours.js';
import { weighByTime, type TimeWindow } from './query-time.js';

export type RetrieveInput = {
  query: string;
  /** The embedded query; not needed in keyword mode. */
  queryVector?: Float32Array | undefined;
  scope: Scope;
  limit: number;
  mode: SearchMode;
  threshold?: number | undefined;
  filter?: FilterNode | undefined;
  /** Search the store as it was at this instant (ms); current memories when undefined. */
  at?: number | undefined;
  explain?: boolean | undefined;
  /** How hybrid mode combines the signals. */
  fusion: 'linear' | 'rrf';
  /** In linear fusion, the share of the vector signal (the rest is keyword). */
  vectorWeight: number;
  recency?: { halfLifeDays: number; weight: number; from: 'change' | 'access' } | undefined;
  importance?: { weight: number } | undefined;
  /** Exact vector KNN even where an approximate first pass would answer. */
  exact?: boolean | undefined;
  /** The entities the query names (see graph/entity-signal.ts), and the weight of the entity signal. */
  graph?: { entities: QueryEntities; weight: number } | undefined;
  /** The time the query names, and how much a memory inside it gains (see query-time.ts). */
  time?: { window: TimeWindow; weight: number } | undefined;
  /** Score memories together with the turns stored around them (see neighbours.ts). */
  neighbours?: NeighbourOptions | undefined;
};

/** Candidates per signal, per wanted result: fusion needs more than the final list. */
const POOL_FACTOR = 4;
const MIN_POOL = 40;
/** The most candidates asked of an engine per signal (sqlite-vec's largest k). */
const MAX_K = 4096;
/**
 * Hits whose neighbours are read: 80% of the results asked for, within these bounds. Each costs a read; on
 * LoCoMo the 8 best hits gave recall@10 0.721, 30 gave 0.722, 5 gave 0.718.
 */
const NEIGHBOUR_TOP = { share: 0.8, min: 5, max: 15 };

/**
 * Retrieval inside a scope. The storage proposes candidates for each signal
 * (vector and keyword, inside the scope and the validity asked, passing the
 * filter) with engine-independent scores; this ranks them: one signal, or
 * both fused. The threshold applies the same way in every mode.
 *
 * Scores: vector mode, the cosine similarity; keyword mode, the engine's
 * relevance r squashed to [0, 1) as r / (1 + r); hybrid, by default the
 * weighted sum of the cosine and of the relevance relative to the best match
 * (`fusion: 'rrf'`: the normalized reciprocal-rank score, 1 = first in both
 * rankings). `explain` adds each signal's score and rank.
 */
export async function retrieve(storage: Storage, input: RetrieveInput): Promise<ScoredMemory[]> {
  const pool = Math.min(MAX_K, Math.max(MIN_POOL, input.limit * POOL_FACTOR));
  const candidates = await storage.searchCandidates({
    scope: input.scope,
    k: pool,
    vector: input.mode === 'keyword' ? undefined : input.queryVector,
    keyword: input.mode === 'vector' ? undefined : input.query,
    filter: input.filter,
    at: input.at,
    exact: input.exact,
  });
  // In keyword mode no vector was asked for; in the others every candidate has its exact cosine.
  const vectorHits = input.mode === 'keyword' ? [] : candidates.vector;
  const keywordHits = input.mode === 'vector' ? [] : candidates.keyword;

  const signals = new Map<string, SearchSignals>();
  vectorHits.forEach((hit, i) => signals.set(hit.id, { vector: hit.cosine, vectorRank: i + 1 }));
  keywordHits.forEach((hit, i) => signals.set(hit.id, { ...signals.get(hit.id), keyword: hit.keyword, keywordRank: i + 1 }));
  if (input.mode === 'hybrid') {
    // Keyword-only candidates still have a cosine to the query: every candidate is judged on both signals.
    for (const [id, s] of signals) {
      const cosine = candidates.byId.get(id)?.cosine;
      if (s.vector === undefined && cosine !== undefined) s.vector = cosine;
    }
  }

  let scored: { id: string; score: number }[];
  if (input.mode === 'vector') scored = vectorHits.map((h) => ({ id: h.id, score: h.cosine }));
  else if (input.mode === 'keyword') scored = keywordHits.map((h) => ({ id: h.id, score: h.keyword }));
  else if (input.fusion === 'rrf') {
    scored = reciprocalRankFusion([vectorHits.map((h) => h.id), keywordHits.map((h) => h.id)]);
  } else {
    scored = linearFusion(signals, keywordHits, input.vectorWeight);
  }

  if (input.graph && input.graph.entities.share.size > 0) scored = await weighByEntities(storage, input.scope, scored, signals, input.graph);
  const extra = new Map<string, MemoryItem>();
  if (input.neighbours && input.neighbours.weight > 0 && scored.length > 0) {
    const weighed = await weighByNeighbours(storage, scored, signals, { ...input.neighbours, top: Math.min(NEIGHBOUR_TOP.max, Math.max(NEIGHBOUR_TOP.min, Math.ceil(input.limit * NEIGHBOUR_TOP.share))), at: input.at, filter: input.filter });
    scored = weighed.scored;
    for (const [id, item] of weighed.items) extra.set(id, item);
  }
  const itemOf = (id: string) => candidates.byId.get(id)?.item ?? (extra.get(id) as MemoryItem);
  if (input.time) scored = weighByTime(scored, itemOf, signals, input.time.window, input.time.weight);
  if (input.recency) {
    const now = input.at ?? Date.now();
    const used = input.recency.from === 'access' ? await lastUse(storage, scored.map((s) => s.id), now) : new Map<string, number>();
    scored = weighByRecency(scored, (id) => Math.max(Date.parse(itemOf(id).validFrom), used.get(id) ?? 0), signals, input.recency, now);
  }
  if (input.importance) scored = weighByImportance(scored, (id) => itemOf(id).metadata.importance, signals, input.importance.weight);

  return scored
    .filter((s) => input.threshold === undefined || s.score >= input.threshold)
    .slice(0, input.limit)
    .map(({ id, score }) => {
      const result: ScoredMemory = { ...itemOf(id), score };
      if (input.explain) result.signals = signals.get(id) ?? {};
      return result;
    });
}

/**
 * weight × cosine + (1 − weight) × keyword relevance relative to the best
 * keyword match. Unlike rank fusion it keeps how strong each signal is, so a
 * weak embedder's arbitrary ranking cannot outvote a strong keyword match
 * (measured on LoCoMo: evidence recall@10 0.623 against 0.572 for RRF with
 * the test embedder).
 */
function linearFusion(signals: Map<string, SearchSignals>, keyword: { id: string; keyword: number }[], weight: number): { id: string; score: number }[] {
  // Relative to the best on the engine's own scale: r = s / (1 − s) undoes the port's squash.
  const relevance = new Map(keyword.map((h) => [h.id, h.keyword / (1 - h.keyword)]));
  const best = Math.max(1e-9, ...relevance.values());
  return [...signals.entries()]
    .map(([id, s]) => ({ id, score: weight * (s.vector ?? 0) + (1 - weight) * ((relevance.get(id) ?? 0) / best) }))
    .sort(bestFirst);
}

/**
 * Adds the entity signal: (score + weight × entity) / (1 + weight), so the
 * score stays in [0, 1]. A memory naming none of the query's entities keeps
 * its order among the others. Only the candidates already found are weighed:
 * the graph reorders, it does not bring memories the query's words and
 * meaning did not (measured: adding them did not help).
 */
async function weighByEntities(
  storage: Storage,
  scope: Scope,
  scored: { id: string; score: number }[],
  signals: Map<string, SearchSignals>,
  graph: { entities: QueryEntities; weight: number },
): Promise<{ id: string; score: number }[]> {
  const entity = await storage.transaction('read', 'weighing by entities', (tx) =>
    entitySignal(
      tx,
      scope,
      graph.entities,
      scored.map((s) => s.id),
    ),
  );
  return scored
    .map(({ id, score }) => {
      const value = entity.get(id) ?? 0;
      if (value > 0) signals.set(id, { ...signals.get(id), entity: value });
      return { id, score: (score + graph.weight * value) / (1 + graph.weight) };
    })
    .sort(bestFirst);
}

/** A memory's importance on [0, 1] from its `metadata.importance` (1 to 5, clamped); none readable counts as the middle. */
function importanceOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0.5;
  return (Math.min(5, Math.max(1, value)) - 1) / 4;
}

function weighByImportance(
  scored: { id: string; score: number }[],
  rating: (id: string) => unknown,
  signals: Map<string, SearchSignals>,
  weight: number,
): { id: string; score: number }[] {
  return scored
    .map(({ id, score }) => {
      const importance = importanceOf(rating(id));
      signals.set(id, { ...signals.get(id), importance });
      return { id, score: (1 - weight) * score + weight * importance };
    })
    .sort(bestFirst);
}

/**
 * When each memory was last used, as known at `at`: only the last use is
 * kept, so one after `at` (a read into the past) tells nothing of `at`.
 */
async function lastUse(storage: Storage, ids: string[], at: number): Promise<Map<string, number>> {
  const used = await storage.transaction('read', 'reading when memories were last used', (tx) => tx.lastAccess(ids));
  for (const [id, when] of used) if (when > at) used.delete(id);
  return used;
}

function weighByRecency(
  scored: { id: string; score: number }[],
  validFrom: (id: string) => number,
  signals: Map<string, SearchSignals>,
  recency: { halfLifeDays: number; weight: number },
  now: number,
): { id: string; score: number }[] {
  return scored
    .map(({ id, score }) => {
      const ageDays = Math.max(0, now - validFrom(id)) / 86_400_000;
      const fresh = 2 ** (-ageDays / recency.halfLifeDays);
      signals.set(id, { ...signals.get(id), recency: fresh });
      return { id, score: (1 - recency.weight) * score + recency.weight * fresh };
    })
    .sort(bestFirst);
}
