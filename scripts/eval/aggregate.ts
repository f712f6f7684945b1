import { CATEGORY_NAMES } from './locomo-data.js';
import { KS, type K, type QuestionScore } from './metrics.js';

/** Means over the questions of a group; null when no question of the group could be scored. */
export type Summary = {
  questions: number;
  /** Questions with usable evidence (the denominator of the evidence metrics). */
  withEvidence: number;
  /** Questions with a gold answer that has content tokens (the denominator of answer recall). */
  withAnswer: number;
  evidenceRecall: Record<K, number | null>;
  allEvidence: Record<K, number | null>;
  answerRecall: number | null;
};

/** A row of the report: one category, or categories 1-4 together (the usual headline). */
export type Group = { key: string; label: string; categories: readonly number[] };

export const GROUPS: readonly Group[] = [
  ...[1, 2, 3, 4, 5].map((c) => ({ key: String(c), label: `${c} ${CATEGORY_NAMES[c] ?? ''}`.trim(), categories: [c] })),
  { key: '1-4', label: '1-4 all but adv.', categories: [1, 2, 3, 4] },
];

/** Micro-averages: every question weighs the same, whatever its conversation. */
export function summarize(scores: readonly QuestionScore[]): Summary {
  const withEvidence = scores.filter((s) => s.evidenceRecall !== undefined);
  const withAnswer = scores.flatMap((s) => (s.answerRecall === undefined ? [] : [s.answerRecall]));
  return {
    questions: scores.length,
    withEvidence: withEvidence.length,
    withAnswer: withAnswer.length,
    evidenceRecall: perK((k) => mean(withEvidence.map((s) => s.evidenceRecall?.[k] ?? 0))),
    allEvidence: perK((k) => mean(withEvidence.map((s) => s.allEvidence?.[k] ?? 0))),
    answerRecall: mean(withAnswer),
  };
}

export function summarizeGroups(scores: readonly QuestionScore[]): Record<string, Summary> {
  return Object.fromEntries(GROUPS.map((g) => [g.key, summarize(scores.filter((s) => g.categories.includes(s.category)))]));
}

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function perK(value: (k: K) => number | null): Record<K, number | null> {
  return Object.fromEntries(KS.map((k) => [k, value(k)])) as Record<K, number | null>;
}
