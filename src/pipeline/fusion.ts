import { bestFirst } from './ranking.js';

/** The usual RRF constant: damps the difference between the very first ranks. */
export const RRF_K = 60;

/**
 * Reciprocal-rank fusion of ranked lists of ids: each list adds 1 / (k + rank)
 * (rank from 1) for every id it holds. Returns ids best first with their fused
 * score normalized to [0, 1], where 1 means "first in every list"; ties in id order.
 */
export function reciprocalRankFusion<Id extends string | number>(
  lists: readonly (readonly Id[])[],
  weights: readonly number[] = lists.map(() => 1),
): { id: Id; score: number }[] {
  if (lists.length === 0) return [];
  const fused = new Map<Id, number>();
  lists.forEach((list, l) => {
    const weight = weights[l] ?? 1;
    list.forEach((id, index) => fused.set(id, (fused.get(id) ?? 0) + weight / (RRF_K + index + 1)));
  });
  const best = weights.reduce((sum, w) => sum + w, 0) / (RRF_K + 1);
  return [...fused.entries()]
    .map(([id, score]) => ({ id, score: score / best }))
    .sort(bestFirst);
}
