import type { Reranker } from 'engram-memory';

/**
 * A deterministic test double: a document's score is how many of the query's
 * words (lower-cased, letters and digits) it contains, counting repeats in the
 * query. No model, no meaning beyond shared words — enough to check what a
 * caller does with reranker scores.
 */
export class KeywordReranker implements Reranker {
  readonly id: string;
  /** Calls to `score`, for tests that check when the reranker is (not) used. */
  calls = 0;

  constructor(id = 'test/keyword-reranker') {
    this.id = id;
  }

  async score(query: string, documents: string[]): Promise<number[]> {
    this.calls += 1;
    const queryWords = words(query);
    return documents.map((document) => {
      const present = new Set(words(document));
      return queryWords.filter((word) => present.has(word)).length;
    });
  }
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
