/**
 * Scores how well documents answer a query, reading each (query, document) pair
 * together — a cross-encoder. The port every reranking model sits behind;
 * implement it to bring your own model.
 */
export interface Reranker {
  /** Names the model, e.g. "cross-encoder/ms-marco-MiniLM-L6-v2". */
  readonly id: string;
  /**
   * One relevance score per document, in order: higher means more relevant. Any finite
   * real number (cross-encoders return raw logits); only the order between the documents
   * of one call is meaningful, not the scale. An empty list gives an empty list.
   */
  score(query: string, documents: string[]): Promise<number[]>;
  /** Releases the model, if the reranker holds one. */
  dispose?(): Promise<void>;
}

/** Whether `value` looks like a Reranker instance (duck-typed, so users can bring plain objects). */
export function isReranker(value: unknown): value is Reranker {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    typeof candidate.score === 'function' &&
    (candidate.dispose === undefined || typeof candidate.dispose === 'function')
  );
}
