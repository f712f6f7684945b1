import { EngramError } from '../errors.js';
import type { Reranker } from '../rerank/reranker.js';
import type { ScoredMemory } from '../schema.js';

/** Candidates read by the cross-encoder per wanted result. */
const POOL_FACTOR = 3;
const MAX_POOL = 60;

export function rerankPool(limit: number): number {
  return Math.min(MAX_POOL, Math.max(limit * POOL_FACTOR, 20));
}

/**
 * Reorders retrieved memories by a cross-encoder, which reads the query and
 * each memory together. The score becomes the logistic of its relevance
 * logit, so it stays in [0, 1]; threshold and limit apply after reranking.
 */
export async function rerank(
  reranker: Reranker,
  query: string,
  candidates: ScoredMemory[],
  options: { limit: number; threshold?: number | undefined; explain?: boolean | undefined },
): Promise<ScoredMemory[]> {
  if (candidates.length === 0) return [];
  let logits: number[];
  try {
    logits = await reranker.score(
      query,
      candidates.map((c) => c.memory),
    );
  } catch (error) {
    if (error instanceof EngramError) throw error;
    throw new EngramError('RERANK_FAILED', `the reranker ${reranker.id} failed: ${String(error)}`, { cause: error });
  }
  if (!Array.isArray(logits) || logits.length !== candidates.length || !logits.every(Number.isFinite)) {
    throw new EngramError('RERANK_FAILED', `the reranker ${reranker.id} did not return one finite score per memory`);
  }
  return candidates
    .map((memory, i) => {
      const score = 1 / (1 + Math.exp(-(logits[i] as number)));
      const result: ScoredMemory = { ...memory, score };
      if (options.explain) result.signals = { ...memory.signals, rerank: score };
      else delete result.signals;
      return result;
    })
    .sort((a, b) => b.score - a.score)
    .filter((m) => options.threshold === undefined || m.score >= options.threshold)
    .slice(0, options.limit);
}
