import type { FilterNode } from '../filter.js';
import type { MemoryItem, ScoredMemory, SearchSignals } from '../schema.js';
import type { Storage } from '../storage/storage.js';
import { bestFirst } from './ranking.js';

export type NeighbourOptions = {
  /** Memories on each side of a hit, in the order they were stored. */
  window: number;
  /** How much the best neighbour's score counts: score = max(own, (own + weight × neighbour) / (1 + weight)). */
  weight: number;
  /** A larger jump in world time between two stored memories starts another session. */
  gapMs: number;
};

type Scored = { id: string; score: number };

/**
 * Scores each memory together with its neighbours: the turns stored just
 * before and after it in the same session. An answer split over two adjacent
 * turns ("Did you go?" — "Yes, last Friday with Mel") is found through the
 * turn that matches the question. A memory only gains (its own score is a
 * floor), and a turn that merely sits next to a good match stays below it:
 * it gets the mean of its own score and its neighbour's at most.
 *
 * The `top` best hits bring their neighbours in as candidates; their own
 * score is the one they had as candidates, 0 when the signals had not found
 * them. Returns the reordered list and the items of the neighbours the
 * signals had not found (the caller has not read them).
 */
export async function weighByNeighbours(
  storage: Storage,
  scored: Scored[],
  signals: Map<string, SearchSignals>,
  options: NeighbourOptions & { top: number; at?: number | undefined; filter?: FilterNode | undefined },
): Promise<{ scored: Scored[]; items: Map<string, MemoryItem> }> {
  const hits = scored.slice(0, options.top);
  const around = await storage.transaction('read', 'reading neighbouring memories', (tx) =>
    tx.adjacentMemories(
      hits.map((h) => h.id),
      { window: options.window, gapMs: options.gapMs, at: options.at, filter: options.filter },
    ),
  );
  const own = new Map(scored.map((s) => [s.id, s.score]));
  const items = new Map<string, MemoryItem>();
  const context = new Map<string, number>();
  const lift = (id: string, value: number) => context.set(id, Math.max(context.get(id) ?? 0, value));
  for (const hit of hits) {
    const adjacent = around.get(hit.id);
    for (const neighbour of adjacent ? [...adjacent.before, ...adjacent.after] : []) {
      if (!own.has(neighbour.id)) items.set(neighbour.id, neighbour);
      lift(neighbour.id, hit.score);
      lift(hit.id, own.get(neighbour.id) ?? 0);
    }
  }
  const ids = new Set([...own.keys(), ...items.keys()]);
  const reweighed = [...ids].map((id) => {
    const value = context.get(id) ?? 0;
    if (value > 0) signals.set(id, { ...signals.get(id), neighbour: value });
    const base = own.get(id) ?? 0;
    return { id, score: Math.max(base, (base + options.weight * value) / (1 + options.weight)) };
  });
  reweighed.sort(bestFirst);
  return { scored: reweighed, items };
}

/** Measured on LoCoMo with neighbours alone (recall@10): window 2, weight 1: 0.704; weight 0.5: 0.687; windows 3 and 4 no better. */
export const DEFAULT_NEIGHBOURS: NeighbourOptions = { window: 2, weight: 1, gapMs: 60 * 60_000 };

/** The search option as retrieval takes it; undefined when off. */
export function neighbourOptions(option: boolean | { window: number; weight: number; sessionGapMinutes: number } | undefined): NeighbourOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return DEFAULT_NEIGHBOURS;
  return { window: option.window, weight: option.weight, gapMs: option.sessionGapMinutes * 60_000 };
}

/** Gives each result the memories stored around it in its session (`neighbours`: before and after, each oldest first). */
export async function withNeighbours(
  storage: Storage,
  results: ScoredMemory[],
  options: NeighbourOptions & { at?: number | undefined; filter?: FilterNode | undefined },
): Promise<ScoredMemory[]> {
  if (results.length === 0) return results;
  const around = await storage.transaction('read', 'reading neighbouring memories', (tx) =>
    tx.adjacentMemories(
      results.map((r) => r.id),
      { window: options.window, gapMs: options.gapMs, at: options.at, filter: options.filter },
    ),
  );
  return results.map((result) => ({ ...result, neighbours: around.get(result.id) ?? { before: [], after: [] } }));
}
