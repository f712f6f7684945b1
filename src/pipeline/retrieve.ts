import type { FilterNode } from '../filter.js';
import type { Scope, ScoredMemory } from '../schema.js';
import type { Store } from '../store/store.js';

export type RetrieveInput = {
  queryVector: Float32Array;
  scope: Scope;
  limit: number;
  threshold?: number | undefined;
  filter?: FilterNode | undefined;
  /** Search the store as it was at this instant (ms); current memories when undefined. */
  at?: number | undefined;
};

/** How many index candidates to fetch per wanted result when a filter may discard some. */
const FILTER_OVERFETCH = 4;
/** sqlite-vec's largest k. */
const MAX_K = 4096;

/**
 * Vector retrieval inside a scope. The KNN runs in sqlite-vec with the scope
 * applied inside it. Metadata filters are applied to the candidates; when a
 * selective filter leaves too few, an exact filtered scan answers instead, so
 * a filter never hides a match that exists.
 */
export function retrieve(store: Store, input: RetrieveInput): ScoredMemory[] {
  const k = input.filter ? Math.min(MAX_K, input.limit * FILTER_OVERFETCH) : input.limit;
  const at = { at: input.at };
  const hits = store.nearest(input.queryVector, k, input.scope, at);
  let found = store.resolveHits(hits, input.filter, at);
  if (input.filter && found.length < input.limit && hits.length === k) {
    found = store.resolveHits(store.nearestFiltered(input.queryVector, input.limit, input.scope, input.filter, at), input.filter, at);
  }
  return found
    .map(({ item, distance }) => ({ ...item, score: similarityScore(distance) }))
    .filter((memory) => input.threshold === undefined || memory.score >= input.threshold)
    .slice(0, input.limit);
}

/** Cosine distance (0..2) to a score in [0, 1]: the cosine similarity, with opposite directions counted as unrelated. */
export function similarityScore(distance: number): number {
  return Math.min(1, Math.max(0, 1 - distance));
}
