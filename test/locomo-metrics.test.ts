import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarize, summarizeGroups } from '../scripts/eval/aggregate.js';
import { contentTokens } from '../scripts/eval/answer-tokens.js';
import { normalizeEvidence } from '../scripts/eval/evidence.js';
import { chunks } from '../scripts/eval/ingest.js';
import { loadLocomo, turnText } from '../scripts/eval/locomo-data.js';
import { parseLocomoDateTime, spokenDate } from '../scripts/eval/locomo-date.js';
import { answerTokenRecall, allEvidenceFound, coveredAt, evidenceRecall, scoreQuestion, type QuestionScore, type RetrievedItem } from '../scripts/eval/metrics.js';
import { Provenance } from '../scripts/eval/provenance.js';
import { emptyQuirks, prepareQuestions } from '../scripts/eval/questions.js';

// Pure parts of the LoCoMo eval (scripts/eval-locomo.ts). Never reads ../shared: inputs are hand-made.

describe('LoCoMo date-times', () => {
  it('parses "1:56 pm on 8 May, 2023" as that wall-clock time in UTC', () => {
    expect(parseLocomoDateTime('1:56 pm on 8 May, 2023')).toBe('2023-05-08T13:56:00.000Z');
    expect(parseLocomoDateTime('10:37 am on 27 June, 2023')).toBe('2023-06-27T10:37:00.000Z');
  });

  it('reads 12 am as midnight and 12 pm as noon', () => {
    expect(parseLocomoDateTime('12:09 am on 13 September, 2023')).toBe('2023-09-13T00:09:00.000Z');
    expect(parseLocomoDateTime('12:30 pm on 1 January, 2024')).toBe('2024-01-01T12:30:00.000Z');
  });

  it('tolerates case, spacing and a missing comma', () => {
    expect(parseLocomoDateTime(' 9:05 PM on 3 march 2022 ')).toBe('2022-03-03T21:05:00.000Z');
  });

  it('refuses what is not a LoCoMo date rather than guessing', () => {
    for (const bad of ['', '2023-05-08', '13:00 pm on 8 May, 2023', '1:60 pm on 8 May, 2023', '1:56 pm on 31 April, 2023', '1:56 pm on 8 Mai, 2023']) {
      expect(() => parseLocomoDateTime(bad), bad).toThrow();
    }
  });

  it('writes dates as the answers do', () => {
    expect(spokenDate('2023-05-08T13:56:00.000Z')).toBe('8 May 2023');
  });
});

describe('evidence ids', () => {
  const known = new Set(['D1:3', 'D1:5', 'D8:6', 'D9:17', 'D11:26', 'D30:5']);

  it('keeps clean ids as they are', () => {
    expect(normalizeEvidence(['D1:3', 'D1:5'], known)).toEqual({ ids: ['D1:3', 'D1:5'], skipped: [], repaired: [] });
  });

  it('splits several ids in one entry, on ";" or spaces', () => {
    expect(normalizeEvidence(['D8:6; D9:17'], known).ids).toEqual(['D8:6', 'D9:17']);
    expect(normalizeEvidence(['D1:3 D1:5'], known)).toMatchObject({ ids: ['D1:3', 'D1:5'], repaired: ['D1:3 D1:5'] });
  });

  it('repairs a stray colon and a leading zero', () => {
    expect(normalizeEvidence(['D:11:26', 'D30:05'], known)).toEqual({ ids: ['D11:26', 'D30:5'], skipped: [], repaired: ['D:11:26', 'D30:05'] });
  });

  it('skips and reports malformed ids and turns that do not exist', () => {
    const result = normalizeEvidence(['D', 'D1:3', 'D10:19'], known);
    expect(result.ids).toEqual(['D1:3']);
    expect(result.skipped).toEqual([
      { raw: 'D', reason: 'malformed' },
      { raw: 'D10:19', reason: 'not-in-conversation' },
    ]);
  });

  it('counts a repeated id once', () => {
    expect(normalizeEvidence(['D1:3', 'D1:3; D1:5'], known).ids).toEqual(['D1:3', 'D1:5']);
  });
});

describe('answer tokens', () => {
  it('lower-cases, strips punctuation and possessives, drops stop words', () => {
    expect(contentTokens("The week before Caroline's 9 June, 2023 trip!")).toEqual(['week', 'caroline', '9', 'june', '2023', 'trip']);
  });

  it('keeps month names that are also stop-word-like ("May")', () => {
    expect(contentTokens('7 May 2023')).toEqual(['7', 'may', '2023']);
  });

  it('leaves nothing of an answer made of stop words', () => {
    expect(contentTokens('No')).toEqual([]);
  });
});

const item = (diaIds: string[], text = ''): RetrievedItem => ({ diaIds: new Set(diaIds), text });

describe('retrieval metrics', () => {
  const results = [item(['D1:1']), item(['D1:2', 'D1:7']), item([]), item(['D1:3'])];

  it('covers the turns of the first k results, merged memories counting for all their turns', () => {
    expect([...coveredAt(results, 2)].sort()).toEqual(['D1:1', 'D1:2', 'D1:7']);
    expect(coveredAt(results, 10).size).toBe(4);
  });

  it('evidence recall is the share of evidence turns covered', () => {
    expect(evidenceRecall(['D1:1', 'D1:3'], coveredAt(results, 2))).toBe(0.5);
    expect(evidenceRecall(['D1:1', 'D1:3'], coveredAt(results, 4))).toBe(1);
    expect(() => evidenceRecall([], new Set())).toThrow();
  });

  it('all-evidence needs every evidence turn', () => {
    expect(allEvidenceFound(['D1:1', 'D1:3'], coveredAt(results, 2))).toBe(false);
    expect(allEvidenceFound(['D1:1', 'D1:7'], coveredAt(results, 2))).toBe(true);
    expect(allEvidenceFound([], coveredAt(results, 2))).toBe(false);
  });

  it('answer-token recall counts distinct answer tokens found', () => {
    expect(answerTokenRecall(['paris', 'france', 'paris'], new Set(['paris', 'trip']))).toBe(0.5);
    expect(() => answerTokenRecall([], new Set())).toThrow();
  });

  it('scores a question at 5, 10 and 30, and answer tokens in the top 10 only', () => {
    const ranked = [...Array.from({ length: 10 }, (_, i) => item([`D2:${i + 1}`], 'nothing here')), item(['D1:1'], 'Mel: we went to Paris')];
    const score = scoreQuestion({ category: 4, evidence: ['D1:1', 'D2:1'], answerTokens: ['paris'] }, ranked, contentTokens);
    expect(score.evidenceRecall).toEqual({ 5: 0.5, 10: 0.5, 30: 1 });
    expect(score.allEvidence).toEqual({ 5: 0, 10: 0, 30: 1 });
    expect(score.answerRecall).toBe(0);
    expect(scoreQuestion({ category: 4, evidence: [], answerTokens: ['paris'] }, ranked.slice(10), contentTokens)).toEqual({ category: 4, answerRecall: 1 });
  });
});

describe('aggregation', () => {
  const scores: QuestionScore[] = [
    { category: 1, evidenceRecall: { 5: 0, 10: 0.5, 30: 1 }, allEvidence: { 5: 0, 10: 0, 30: 1 }, answerRecall: 1 },
    { category: 2, evidenceRecall: { 5: 1, 10: 1, 30: 1 }, allEvidence: { 5: 1, 10: 1, 30: 1 } },
    { category: 3, answerRecall: 0 },
    { category: 5, evidenceRecall: { 5: 1, 10: 1, 30: 1 }, allEvidence: { 5: 1, 10: 1, 30: 1 } },
  ];

  it('averages each metric over the questions that have it', () => {
    const s = summarize(scores.slice(0, 3));
    expect(s).toMatchObject({ questions: 3, withEvidence: 2, withAnswer: 2, answerRecall: 0.5 });
    expect(s.evidenceRecall).toEqual({ 5: 0.5, 10: 0.75, 30: 1 });
    expect(s.allEvidence).toEqual({ 5: 0.5, 10: 0.5, 30: 1 });
  });

  it('reports null, not 0, when nothing could be scored', () => {
    expect(summarize([{ category: 3 }])).toMatchObject({ questions: 1, answerRecall: null, evidenceRecall: { 5: null, 10: null, 30: null } });
  });

  it('groups per category and categories 1-4 together, without category 5', () => {
    const groups = summarizeGroups(scores);
    expect(Object.keys(groups)).toEqual(['1', '2', '3', '4', '5', '1-4']);
    expect(groups['1-4']?.questions).toBe(3);
    expect(groups['5']?.evidenceRecall[10]).toBe(1);
    expect(groups['4']?.questions).toBe(0);
  });
});

describe('provenance', () => {
  it('maps a memory back to every turn it stands for (a deduplicated turn joins the first)', () => {
    const p = new Provenance();
    p.attribute('m1', ['D1:1']);
    p.attribute('m2', ['D1:2']);
    p.attribute('m1', ['D3:4']);
    expect([...p.diaIdsOf('m1')]).toEqual(['D1:1', 'D3:4']);
    expect([...p.memoriesOf('D3:4')]).toEqual(['m1']);
    expect(p.diaIdsOf('unknown').size).toBe(0);
    expect(p.memoriesOf('D9:9').size).toBe(0);
    expect(p.turnCounts()).toEqual([2, 1]);
  });
});

describe('LoCoMo file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-locomo-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sample = {
    sample_id: 'conv-x',
    conversation: {
      speaker_a: 'Ann',
      speaker_b: 'Bob',
      session_2_date_time: '3:00 pm on 9 May, 2023',
      session_2: [{ speaker: 'Bob', dia_id: 'D2:1', text: 'Look!', blip_caption: 'a photo of a cat' }],
      session_1_date_time: '1:56 pm on 8 May, 2023',
      session_1: [
        { speaker: 'Ann', dia_id: 'D1:1', text: 'Hi Bob' },
        { speaker: 'Bob', dia_id: 'D1:2', text: 'Hi Ann' },
      ],
      session_3_date_time: '1:00 pm on 10 May, 2023',
    },
    qa: [
      { question: 'When?', answer: 2023, evidence: ['D1:1; D2:1'], category: 2 },
      { question: 'Trap?', adversarial_answer: 'Yes', evidence: ['D'], category: 5 },
    ],
    observation: {},
  };

  it('reads sessions in order with their dates, ignoring dates of sessions that have no turns', () => {
    const path = join(dir, 'locomo.json');
    writeFileSync(path, JSON.stringify([sample]));
    const [conversation] = loadLocomo(path) ?? [];
    expect(conversation?.sessions.map((s) => [s.index, s.createdAt, s.turns.length])).toEqual([
      [1, '2023-05-08T13:56:00.000Z', 2],
      [2, '2023-05-09T15:00:00.000Z', 1],
    ]);
    expect(conversation?.qa[0]?.answer).toBe('2023');
    const turn = conversation?.sessions[1]?.turns[0];
    expect(turn && turnText(turn)).toBe('Bob: Look! [shares a photo of a cat]');

    const quirks = emptyQuirks();
    const questions = conversation ? prepareQuestions(conversation, quirks) : [];
    expect(questions.map((q) => [q.evidence, q.answerTokens])).toEqual([
      [['D1:1', 'D2:1'], ['2023']],
      [[], []],
    ]);
    expect(quirks).toMatchObject({ withoutEvidence: 1, skippedEvidence: [{ raw: 'D', reason: 'malformed', sampleId: 'conv-x' }] });
  });

  it('returns null for a missing file, so the script can explain', () => {
    expect(loadLocomo(join(dir, 'absent.json'))).toBeNull();
  });
});

describe('chunks', () => {
  it('splits into pieces of at most n, in order', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });
});
