/**
 * The entity graph of one scope, held in memory for the graph-signal
 * experiment (scripts/experiments/graph-signal.ts): which entities each
 * memory mentions, which memories mention each entity, which entities are
 * mentioned together; and the "entity signal" a query gives each memory.
 *
 * Rule measured (every weight a named constant or a variant field):
 *   idf(e)       = ln(N / df(e)) / ln(N)             in [0, 1]; 1 for a one-off, ~0.1 for a speaker in half the memories
 *   weight(e)    = 1 ('flat'), or idf(e) ('idf', 'idf-abs')
 *   direct(m)    = Σ weight(q) over query entities q that m mentions, divided by Σ weight(q) over all query
 *                  entities ('flat', 'idf': in [0, 1]), or not divided ('idf-abs': capped at 1, so a query naming
 *                  only a speaker moves little)
 *   assoc(a, b)  = cooc(a, b) / √(df(a) df(b))        (cosine of the two entities' memory sets)
 *   depth 1      s1(e) = weight(e) × max_q assoc(q, e), for e co-mentioned with a query entity
 *   depth 2      s2(e) = weight(e) × max_{e1} s1(e1) × assoc(e1, e), for e co-mentioned with a depth-1 entity
 *   neighbour(m) = max over the entities of m of s1, and of s2 / 2
 *   signal(m)    = direct(m) + NEIGHBOUR_SHARE × neighbour(m)
 *   score(m)     = hybrid(m) + w × signal(m)
 */
import { normalizeEntityName } from '../../src/graph/entity-linker.js';

/** How much a neighbour entity counts beside a query entity. */
export const NEIGHBOUR_SHARE = 0.5;
/** A depth-2 neighbour counts half a depth-1 one. */
const DEPTH2_DECAY = 0.5;
/** Entities kept per depth: the strongest, so a hub (a speaker) does not pull in the whole conversation. */
const MAX_NEIGHBOURS = 50;

export type IndexedMemory = { id: string; entities: ReadonlySet<string> };

export class EntityIndex {
  readonly memoriesOf = new Map<string, Set<string>>();
  readonly entitiesOf = new Map<string, ReadonlySet<string>>();
  /** cooc.get(a).get(b): memories mentioning both a and b. */
  private readonly cooc = new Map<string, Map<string, number>>();
  /** Person keys by their first and last word, for "John" ↔ "John Smith". */
  private readonly byWord = new Map<string, Set<string>>();
  readonly size: number;

  constructor(memories: readonly IndexedMemory[], persons: ReadonlySet<string>) {
    this.size = memories.length;
    for (const { id, entities } of memories) {
      this.entitiesOf.set(id, entities);
      const list = [...entities];
      for (const e of list) {
        let set = this.memoriesOf.get(e);
        if (!set) this.memoriesOf.set(e, (set = new Set()));
        set.add(id);
      }
      for (const a of list) for (const b of list) if (a !== b) this.bump(a, b);
    }
    for (const key of persons) {
      const words = key.split(' ');
      if (words.length < 2) continue;
      for (const w of [words[0] as string, words[words.length - 1] as string]) {
        let set = this.byWord.get(w);
        if (!set) this.byWord.set(w, (set = new Set()));
        set.add(key);
      }
    }
  }

  private bump(a: string, b: string): void {
    let row = this.cooc.get(a);
    if (!row) this.cooc.set(a, (row = new Map()));
    row.set(b, (row.get(b) ?? 0) + 1);
  }

  df(entity: string): number {
    return this.memoriesOf.get(entity)?.size ?? 0;
  }

  idf(entity: string): number {
    const df = this.df(entity);
    return df === 0 || this.size < 2 ? 0 : Math.max(0, Math.log(this.size / df) / Math.log(this.size));
  }

  assoc(a: string, b: string): number {
    const both = this.cooc.get(a)?.get(b) ?? 0;
    return both === 0 ? 0 : both / Math.sqrt(this.df(a) * this.df(b));
  }

  neighboursOf(entity: string): ReadonlyMap<string, number> {
    return this.cooc.get(entity) ?? new Map();
  }

  /** The indexed entities a query name stands for: the same key, or persons whose first or last word it is. */
  resolve(name: string): string[] {
    const key = normalizeEntityName(name);
    if (key.length === 0) return [];
    if (this.memoriesOf.has(key)) return [key];
    return [...(this.byWord.get(key) ?? [])];
  }

  keys(): IterableIterator<string> {
    return this.memoriesOf.keys();
  }
}

export type Weighting = 'flat' | 'idf' | 'idf-abs';

export type SignalOptions = {
  depth: 0 | 1 | 2;
  /** 'flat': every entity weighs 1 (no down-weighting of speakers and other hubs). */
  weighting: Weighting;
};

/** Per memory the query's entities reach (absent = 0): `direct`, and `signal` = direct + the neighbours' share. */
export type EntitySignal = { direct: Map<string, number>; signal: Map<string, number> };

export function entitySignal(index: EntityIndex, queryEntities: readonly string[], options: SignalOptions): EntitySignal {
  const weight = (e: string) => (options.weighting === 'flat' ? 1 : index.idf(e));
  const query = [...new Set(queryEntities)].filter((e) => index.df(e) > 0);
  const direct = new Map<string, number>();
  const sum = query.reduce((s, q) => s + weight(q), 0);
  if (sum <= 0) return { direct, signal: new Map() };
  const total = options.weighting === 'idf-abs' ? 1 : sum;
  for (const q of query) for (const m of index.memoriesOf.get(q) ?? []) direct.set(m, Math.min(1, (direct.get(m) ?? 0) + weight(q) / total));
  const signal = new Map(direct);
  if (options.depth === 0) return { direct, signal };

  const inQuery = new Set(query);
  const s1 = strongest(query.flatMap((q) => [...index.neighboursOf(q).keys()].filter((e) => !inQuery.has(e)).map((e) => [e, weight(e) * index.assoc(q, e)] as const)));
  const reach = new Map<string, number>();
  for (const [e, s] of s1) reachMemories(index, e, s, reach);
  if (options.depth === 2) {
    const s2 = strongest(
      [...s1].flatMap(([e1, strength]) =>
        [...index.neighboursOf(e1).keys()].filter((e) => !inQuery.has(e) && !s1.has(e)).map((e) => [e, DEPTH2_DECAY * weight(e) * strength * index.assoc(e1, e)] as const),
      ),
    );
    for (const [e, s] of s2) reachMemories(index, e, s, reach);
  }
  for (const [m, s] of reach) signal.set(m, (signal.get(m) ?? 0) + NEIGHBOUR_SHARE * s);
  return { direct, signal };
}

/** The MAX_NEIGHBOURS strongest entities, each at its best strength. */
function strongest(pairs: readonly (readonly [string, number])[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const [e, s] of pairs) if (s > (best.get(e) ?? 0)) best.set(e, s);
  return new Map([...best].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_NEIGHBOURS));
}

function reachMemories(index: EntityIndex, entity: string, strength: number, into: Map<string, number>): void {
  for (const m of index.memoriesOf.get(entity) ?? []) if (strength > (into.get(m) ?? 0)) into.set(m, strength);
}
