import type { Memory, ScoredMemory, SearchOptions } from '../../src/index.js';
import { contentTokens } from './answer-tokens.js';
import { spokenDate } from './locomo-date.js';
import { scoreQuestion, SEARCH_LIMIT, type QuestionScore, type RetrievedItem } from './metrics.js';
import type { Provenance } from './provenance.js';
import type { PreparedQuestion } from './questions.js';

/** Search modes the eval runs by default; `hybrid-rrf` (hybrid with `fusion: 'rrf'`) on request. */
export const SEARCH_MODES = ['hybrid', 'vector', 'keyword'] as const;
export const ALL_SEARCH_MODES = [...SEARCH_MODES, 'hybrid-rrf'] as const;
export type SearchMode = (typeof ALL_SEARCH_MODES)[number];

export type PassResult = { scores: QuestionScore[]; latenciesMs: number[] };

/**
 * Asks every question of one conversation in one search mode and scores the
 * results. The latency is the whole `search()` call, query embedding included.
 */
export async function searchConversation(
  memory: Memory,
  mode: SearchMode,
  questions: readonly PreparedQuestion[],
  provenance: Provenance,
  into: PassResult,
  extra: Partial<SearchOptions> = {},
): Promise<void> {
  for (const question of questions) {
    const start = performance.now();
    const how = mode === 'hybrid-rrf' ? { mode: 'hybrid' as const, fusion: 'rrf' as const } : { mode };
    const { results } = await memory.search(question.question, { userId: question.sampleId, limit: SEARCH_LIMIT, ...how, ...extra });
    into.latenciesMs.push(performance.now() - start);
    into.scores.push(scoreQuestion(question, results.map((r) => retrieved(r, provenance)), contentTokens));
  }
}

/**
 * A result as the metrics see it. Its text carries the memory's date ("8 May
 * 2023"), as an assistant shown the memory would see it: temporal answers are
 * often just the session date.
 */
function retrieved(result: ScoredMemory, provenance: Provenance): RetrievedItem {
  return { diaIds: provenance.diaIdsOf(result.id), text: `${result.memory} (${spokenDate(result.validFrom)})` };
}
