import type { Memory } from '../../src/index.js';

/** Cosines this close count as a tie (sqlite-vec computes in float32, the in-memory index in float64). */
const TIE = 1e-6;

/** One query's vector search against sqlite-vec's exact KNN (search option `exact`). */
export type RecallSample = {
  /** Share of the exact top 10 (by id) that the default search found. */
  ids: number;
  /**
   * Share of the default search's 10 results at least as near as the exact
   * 10th: ties at the 10th place (common with sparse vectors, where many
   * memories share the same words) count as found whichever tied memory each
   * side returned.
   */
  ties: number;
  /** Milliseconds of the default search. */
  ms: number;
  /** Milliseconds of the exact search. */
  exactMs: number;
};

export async function vectorRecall(memory: Memory, query: string, userId: string): Promise<RecallSample> {
  const start = performance.now();
  const approximate = (await memory.search(query, { userId, limit: 10, mode: 'vector' })).results;
  const ms = performance.now() - start;
  const exactStart = performance.now();
  const exact = (await memory.search(query, { userId, limit: 10, mode: 'vector', exact: true })).results;
  const exactMs = performance.now() - exactStart;
  const truth = new Set(exact.map((r) => r.id));
  const tenth = exact.at(-1)?.score ?? Number.NEGATIVE_INFINITY;
  const wanted = Math.max(1, exact.length);
  return {
    ids: approximate.filter((r) => truth.has(r.id)).length / wanted,
    ties: approximate.filter((r) => truth.has(r.id) || r.score >= tenth - TIE).length / wanted,
    ms,
    exactMs,
  };
}

export function meanOf(samples: readonly RecallSample[], key: 'ids' | 'ties'): number {
  return samples.reduce((sum, s) => sum + s[key], 0) / Math.max(1, samples.length);
}
