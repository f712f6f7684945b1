import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory } from './support/test-memory.js';

/**
 * Neighbours as context: a memory stored from a conversation turn is scored
 * with the turns stored around it in the same session, so an answer said in
 * the turn after the question's words is found.
 */
const POTTERY_SESSION = [
  'How was your weekend?',
  'Did you finally go to the pottery class on Saturday?',
  'Yes, and Mel came along too.',
  'That sounds lovely, send me a photo.',
];
/** Said later, each on a day of its own: words like the question's, no answer. */
const LATER_TURNS = [
  'The pottery shop downtown sold out of clay.',
  'I bought pottery glaze online.',
  'Her pottery studio opens at nine.',
  'A pottery magazine arrived in the mail.',
  'My neighbour collects old pottery.',
];

/** One add per turn, as a chat logs them. */
async function conversation(memory: Memory, userId = 'u'): Promise<void> {
  for (const content of POTTERY_SESSION) await memory.add([{ role: 'user', content, createdAt: '2023-05-08T14:00:00Z' }], { userId, infer: false });
  for (const [day, content] of LATER_TURNS.entries()) {
    await memory.add([{ role: 'user', content, createdAt: `2023-06-${String(10 + day)}T09:00:00Z` }], { userId, infer: false });
  }
}

const QUESTION = 'What did they make at the pottery class?';
const ANSWER = 'Yes, and Mel came along too.';

describe('search with neighbouring turns', () => {
  it('finds the answer said in the turn after the one that matches, and only with neighbours on', async () => {
    const memory = await openTestMemory();
    await conversation(memory);
    const rankOf = (results: { memory: string }[]) => results.findIndex((r) => r.memory === ANSWER);
    const without = (await memory.search(QUESTION, { userId: 'u', limit: 10, neighbours: false })).results;
    const beforeIt = without.slice(0, rankOf(without)).filter((r) => LATER_TURNS.includes(r.memory));
    expect(beforeIt.length, 'without neighbours, turns of other days outrank the answer').toBeGreaterThan(0);
    const withThem = await memory.search(QUESTION, { userId: 'u', limit: 10, explain: true });
    const above = withThem.results.slice(0, rankOf(withThem.results)).map((r) => r.memory);
    expect(above.filter((m) => LATER_TURNS.includes(m) && beforeIt.some((b) => b.memory === m))).toEqual([]);
    const answer = withThem.results.find((r) => r.memory === ANSWER);
    expect(answer, 'neighbours are on by default in hybrid search').toBeDefined();
    expect(answer?.signals?.neighbour).toBeGreaterThan(0);
    // The turn that matched stays above the turn it brought in: a neighbour borrows at most half its score.
    expect(withThem.results[0]?.memory).toBe('Did you finally go to the pottery class on Saturday?');
    for (const r of withThem.results) expect(r.score).toBeLessThanOrEqual(1);
  });

  it('never lowers a score, and keeps single-signal modes as asked', async () => {
    const memory = await openTestMemory();
    await conversation(memory);
    const plain = await memory.search(QUESTION, { userId: 'u', limit: 10, neighbours: false });
    const lifted = await memory.search(QUESTION, { userId: 'u', limit: 10 });
    const liftedScore = new Map(lifted.results.map((r) => [r.id, r.score]));
    for (const r of plain.results) if (liftedScore.has(r.id)) expect(liftedScore.get(r.id)).toBeGreaterThanOrEqual(r.score - 1e-9);
    const keyword = await memory.search('Saturday', { userId: 'u', mode: 'keyword' });
    expect(keyword.results.map((r) => r.memory)).toEqual(['Did you finally go to the pottery class on Saturday?']);
  });

  it('does not cross sessions, scopes or filters', async () => {
    const memory = await openTestMemory();
    await conversation(memory, 'u');
    await memory.add([{ role: 'user', content: 'Secret: my PIN is 4321.', createdAt: '2023-05-08T14:00:00Z' }], { userId: 'other', infer: false });
    const { results } = await memory.search(QUESTION, { userId: 'u', limit: 10, withNeighbours: true });
    expect(results.every((r) => r.userId === 'u')).toBe(true);
    const matched = results.find((r) => r.memory.startsWith('Did you finally go'));
    expect(matched?.neighbours?.before.map((m) => m.memory)).toEqual(['How was your weekend?']);
    expect(matched?.neighbours?.after.map((m) => m.memory)).toEqual([ANSWER, 'That sounds lovely, send me a photo.']);
    // The last turn of the first session has no neighbour after it: the next session began weeks later.
    const last = results.find((r) => r.memory.startsWith('That sounds lovely'));
    expect(last?.neighbours?.after).toEqual([]);
    const filtered = await memory.search(QUESTION, { userId: 'u', limit: 10, filters: { none: 'such' } });
    expect(filtered.results).toEqual([]);
  });

  it('contextFor shows a memory with the turns around it, in the order they were said, with dates', async () => {
    const memory = await openTestMemory();
    await conversation(memory);
    const { text, memories } = await memory.contextFor(QUESTION, { userId: 'u', maxTokens: 400 });
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('Did you finally go to the pottery class'));
    expect(lines[at - 1]).toBe('- [2023-05-08] How was your weekend?');
    expect(lines[at]).toBe('  [2023-05-08] Did you finally go to the pottery class on Saturday?');
    expect(lines[at + 1]).toBe(`  [2023-05-08] ${ANSWER}`);
    // Each turn appears once, even when it is also a result of its own.
    expect(lines.filter((l) => l.includes(ANSWER))).toHaveLength(1);
    expect(memories.length).toBeGreaterThan(0);
    const bare = await memory.contextFor(QUESTION, { userId: 'u', maxTokens: 400, withNeighbours: false });
    expect(bare.text.split('\n')[1]).toBe('- [2023-05-08] Did you finally go to the pottery class on Saturday?');
  });

  it('leaves inferred facts alone: facts stored one after another are not a conversation', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Takes lisinopril for blood pressure', kind: 'semantic' }),
      ops({ event: 'ADD', text: 'Likes Thai green curry', kind: 'semantic' }),
    );
    const memory = await openTestMemory({ llm });
    await memory.add('Dr. Patel put me on lisinopril.', { userId: 'u' });
    await memory.add('I could eat Thai green curry every day.', { userId: 'u' });
    const { results } = await memory.search('blood pressure medicine', { userId: 'u', explain: true, withNeighbours: true });
    expect(results.map((r) => r.signals?.neighbour)).toEqual(results.map(() => undefined));
    expect(results.map((r) => r.neighbours)).toEqual(results.map(() => ({ before: [], after: [] })));
  });
});
