import { contentTokens } from './answer-tokens.js';
import { normalizeEvidence, type SkippedEvidence } from './evidence.js';
import { diaIdsOf, type Conversation } from './locomo-data.js';

/** A question ready to score: clean evidence ids and the gold answer's content tokens. */
export type PreparedQuestion = {
  sampleId: string;
  question: string;
  category: number;
  evidence: string[];
  answerTokens: string[];
};

/** What the dataset made us skip, reported so the figures can be read honestly. */
export type DataQuirks = {
  skippedEvidence: (SkippedEvidence & { sampleId: string; question: string })[];
  /** Raw evidence entries used after splitting or rewriting ("D8:6; D9:17", "D:11:26", "D30:05"). */
  repairedEvidence: { sampleId: string; raw: string }[];
  /** Questions left with no usable evidence id (not scored on evidence). */
  withoutEvidence: number;
  /** Category 1-4 questions whose answer has no content token, e.g. only stop words (not scored on answer tokens). */
  withoutAnswerTokens: number;
};

export function emptyQuirks(): DataQuirks {
  return { skippedEvidence: [], repairedEvidence: [], withoutEvidence: 0, withoutAnswerTokens: 0 };
}

/**
 * Prepares a conversation's questions. Category 5 (adversarial) questions are
 * about things never said: their `adversarial_answer` is the trap, not a gold
 * answer, so they get no answer tokens (two also carry an `answer` "No",
 * ignored alike). Their evidence is kept: it points at the turn the trap
 * twists, which retrieval can still be measured on.
 */
export function prepareQuestions(conversation: Conversation, quirks: DataQuirks): PreparedQuestion[] {
  const known = diaIdsOf(conversation);
  return conversation.qa.map((qa) => {
    const { ids, skipped, repaired } = normalizeEvidence(qa.evidence, known);
    for (const raw of repaired) quirks.repairedEvidence.push({ sampleId: conversation.sampleId, raw });
    for (const s of skipped) quirks.skippedEvidence.push({ ...s, sampleId: conversation.sampleId, question: qa.question });
    if (ids.length === 0) quirks.withoutEvidence += 1;
    const answerTokens = qa.category === 5 ? [] : contentTokens(qa.answer ?? '');
    if (qa.category !== 5 && answerTokens.length === 0) quirks.withoutAnswerTokens += 1;
    return { sampleId: conversation.sampleId, question: qa.question, category: qa.category, evidence: ids, answerTokens };
  });
}
