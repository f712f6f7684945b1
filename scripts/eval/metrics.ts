/** The cut-offs evidence recall is reported at. */
export const KS = [5, 10, 30] as const;
export type K = (typeof KS)[number];
/** Answer-token recall reads the top 10 results: what an assistant would plausibly put in its prompt. */
export const ANSWER_K = 10;
/** How many results each search asks for: the largest cut-off. */
export const SEARCH_LIMIT = Math.max(...KS, ANSWER_K);

/** One search result as the metrics see it: the turns it stands for, and what a reader would see. */
export type RetrievedItem = { diaIds: ReadonlySet<string>; text: string };

/** Scores of one question; a metric is absent when the question cannot be scored on it. */
export type QuestionScore = {
  category: number;
  evidenceRecall?: Record<K, number>;
  /** 1 when every evidence turn is covered, else 0 (a number, so it averages). */
  allEvidence?: Record<K, number>;
  answerRecall?: number;
};

/** The turns covered by the first k results (a merged memory may cover several). */
export function coveredAt(results: readonly RetrievedItem[], k: number): Set<string> {
  return new Set(results.slice(0, k).flatMap((r) => [...r.diaIds]));
}

/** |evidence ∩ covered| / |evidence|; evidence must be non-empty. */
export function evidenceRecall(evidence: readonly string[], covered: ReadonlySet<string>): number {
  if (evidence.length === 0) throw new Error('evidence recall of a question without evidence');
  return evidence.filter((id) => covered.has(id)).length / evidence.length;
}

export function allEvidenceFound(evidence: readonly string[], covered: ReadonlySet<string>): boolean {
  return evidence.length > 0 && evidence.every((id) => covered.has(id));
}

/** Share of the distinct answer tokens present among the tokens of the texts; answerTokens must be non-empty. */
export function answerTokenRecall(answerTokens: readonly string[], textTokens: ReadonlySet<string>): number {
  const wanted = new Set(answerTokens);
  if (wanted.size === 0) throw new Error('answer-token recall of an answer without content tokens');
  return [...wanted].filter((t) => textTokens.has(t)).length / wanted.size;
}

/**
 * Every metric of one question from its ranked results. `tokensOf` turns the
 * top results' text into content tokens (passed in so this stays pure).
 */
export function scoreQuestion(
  question: { category: number; evidence: readonly string[]; answerTokens: readonly string[] },
  results: readonly RetrievedItem[],
  tokensOf: (text: string) => string[],
): QuestionScore {
  const score: QuestionScore = { category: question.category };
  if (question.evidence.length > 0) {
    score.evidenceRecall = perK((k) => evidenceRecall(question.evidence, coveredAt(results, k)));
    score.allEvidence = perK((k) => (allEvidenceFound(question.evidence, coveredAt(results, k)) ? 1 : 0));
  }
  if (question.answerTokens.length > 0) {
    const textTokens = new Set(results.slice(0, ANSWER_K).flatMap((r) => tokensOf(r.text)));
    score.answerRecall = answerTokenRecall(question.answerTokens, textTokens);
  }
  return score;
}

function perK(value: (k: K) => number): Record<K, number> {
  return Object.fromEntries(KS.map((k) => [k, value(k)])) as Record<K, number>;
}
