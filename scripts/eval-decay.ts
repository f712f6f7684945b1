/**
 * Decay and importance on scripted scenarios (a script, not a test): do
 * `recency` and `importance` put the right one of two rival memories first?
 *   npm run eval:decay
 *
 * A small constructed set, written here (not evaluation data). A scripted LLM
 * (the policy asks for importance) stores each said line as one fact with the
 * rating written below, as a model following the policy would:
 *   missed updates  a fact said 400 days ago and its newer replacement said 10
 *                   days ago, both current: the model added the second instead
 *                   of updating the first, as small models do. Asked about now,
 *                   the newer one should win; asked about before, the older.
 *   rivals          an important fact (rated 5) and trivia (rated 1) sharing
 *                   the question's words, said the same day. Asked about the
 *                   important one, it should win; asked about the trivia, the
 *                   trivia should.
 * Each question scores whether its memory ranks above its rival; each way
 * of searching is scored on both kinds of question, so a weight that only
 * pushes one way pays for it on the others. With the CI embedder
 * (models/test/embedding); `--embedding-model <folder>` for another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Memory, TransformersEmbedder, type Llm, type SearchOptions } from '../src/index.js';
import { projectRoot, runScript } from './lib/script-cli.js';

const DAY = 86_400_000;
type Said = { text: string; daysAgo: number; importance: number };
type Pair = { kind: 'missed update' | 'rivals'; first: Said; second: Said; askFirst: string; askSecond: string };

const update = (old: string, now: string, askNow: string, askBefore: string): Pair => ({
  kind: 'missed update',
  first: { text: old, daysAgo: 400, importance: 3 },
  second: { text: now, daysAgo: 10, importance: 3 },
  askFirst: askBefore,
  askSecond: askNow,
});
const rivals = (important: string, trivia: string, askImportant: string, askTrivia: string): Pair => ({
  kind: 'rivals',
  first: { text: important, daysAgo: 30, importance: 5 },
  second: { text: trivia, daysAgo: 30, importance: 1 },
  askFirst: askImportant,
  askSecond: askTrivia,
});

const PAIRS: Pair[] = [
  update('Ana lives in Porto', 'Ana lives in Lisbon', 'Where does Ana live now?', 'Where did Ana live before?'),
  update('Ana works as a nurse at Santa Maria hospital', 'Ana works as a teacher at a primary school', 'What is Ana working as these days?', 'What was Ana working as before?'),
  update('Ana takes metformin 500 mg for diabetes', 'Ana takes metformin 1000 mg for diabetes', 'What dose of metformin does Ana take now?', 'What dose of metformin did Ana take at first?'),
  update('Ana drives a red Fiat Panda', 'Ana drives a grey Toyota Yaris', 'What car does Ana drive now?', 'What car did Ana drive before?'),
  update('Ana is training for a 10 km race', 'Ana is training for a full marathon', 'What race is Ana training for now?', 'What race was Ana training for last year?'),
  update('Ana has a boyfriend called Rui', 'Ana is married to Rui', 'Is Ana married?', 'Was Ana dating Rui before?'),
  update('Ana is learning Spanish', 'Ana is learning Japanese', 'Which language is Ana learning now?', 'Which language was Ana learning before?'),
  update('Ana has a cat named Miso', 'Ana has a cat and a dog named Miso and Tofu', 'What pets does Ana have now?', 'What pet did Ana have at first?'),
  rivals('Ana is allergic to penicillin and gets hives', 'Ana read an article on the history of penicillin', 'Which medicine is Ana allergic to?', 'What article did Ana read about medicine history?'),
  rivals('Ana has type 2 diabetes and checks her blood sugar daily', 'Ana baked a sugar-free cake for a party', 'What chronic condition does Ana have?', 'What did Ana bake for the party?'),
  rivals('Ana must not eat peanuts because of a severe allergy', 'Ana bought peanuts at the market on Saturday', 'What food is dangerous for Ana?', 'What did Ana buy at the market?'),
  rivals("Ana's emergency contact is her brother Tiago", 'Ana watched a film with her brother Tiago', 'Who should be called in an emergency for Ana?', 'What did Ana do with her brother?'),
  rivals('Ana takes warfarin so she bleeds easily', 'Ana cut herself slightly while cooking dinner', 'Which blood thinner does Ana take?', 'What happened while Ana was cooking?'),
  rivals('Ana is pregnant and due in March', 'Ana went to a baby shower for a friend in March', 'When is Ana due?', 'Whose baby shower did Ana go to?'),
];

/** Stores what it is given as one fact, with the rating the scenario gives it. */
class ScriptedRater implements Llm {
  readonly id = 'eval/scripted-rater';
  next: Said | undefined;
  async complete(): Promise<string> {
    const said = this.next as Said;
    return JSON.stringify({ operations: [{ event: 'ADD', text: said.text, kind: 'semantic', importance: said.importance }] });
  }
}

const WAYS: [string, Partial<SearchOptions>][] = [
  ['plain', {}],
  ['recency 0.2 (half-life 90 d)', { recency: { halfLifeDays: 90, weight: 0.2 } }],
  ['importance 0.2', { importance: { weight: 0.2 } }],
  ['recency 0.2 + importance 0.2', { recency: { halfLifeDays: 90, weight: 0.2 }, importance: { weight: 0.2 } }],
  ['recency 0.05', { recency: { halfLifeDays: 90, weight: 0.05 } }],
  ['importance 0.05', { importance: { weight: 0.05 } }],
];

runScript(async () => {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { 'embedding-model': { type: 'string', default: join(projectRoot, 'models/test/embedding') } } });
  const model = values['embedding-model'] as string;
  const embedder = new TransformersEmbedder({ model });
  const dir = mkdtempSync(join(tmpdir(), 'engram-eval-decay-'));
  const llm = new ScriptedRater();
  const memory = await Memory.open({ path: join(dir, 'memory.db'), embedder, llm });
  try {
    await memory.setPolicy({ importance: true });
    const ids = new Map<string, string>();
    const now = Date.now();
    for (const said of PAIRS.flatMap((p) => [p.first, p.second])) {
      llm.next = said;
      const { results } = await memory.add([{ role: 'user', content: said.text, createdAt: new Date(now - said.daysAgo * DAY).toISOString() }], { userId: 'ana' });
      if (results[0]?.event !== 'ADD') throw new Error(`"${said.text}" was not stored`);
      ids.set(said.text, results[0].id);
    }
    console.log(`decay and importance: ${PAIRS.length} pairs of rival memories, 2 questions each; embedder ${model}`);
    const columns = ['missed update: now', 'missed update: before', 'rivals: important', 'rivals: trivia'] as const;
    // Each question: what it asks, the memory it wants, its rival, and its column.
    const questions = PAIRS.flatMap((p) =>
      p.kind === 'missed update'
        ? [
            { ask: p.askSecond, wanted: p.second, rival: p.first, column: 0 },
            { ask: p.askFirst, wanted: p.first, rival: p.second, column: 1 },
          ]
        : [
            { ask: p.askFirst, wanted: p.first, rival: p.second, column: 2 },
            { ask: p.askSecond, wanted: p.second, rival: p.first, column: 3 },
          ],
    );
    const per = columns.map((_, c) => questions.filter((q) => q.column === c).length);
    console.log(`the asked-for memory ranks above its rival      ${columns.join('   ')}   all`);
    for (const [label, options] of WAYS) {
      const wins = columns.map(() => 0);
      for (const q of questions) {
        const { results } = await memory.search(q.ask, { userId: 'ana', limit: 30, ...options });
        const rank = (said: Said) => {
          const at = results.findIndex((r) => r.id === ids.get(said.text));
          return at < 0 ? Number.POSITIVE_INFINITY : at;
        };
        if (rank(q.wanted) < rank(q.rival)) wins[q.column] = (wins[q.column] ?? 0) + 1;
      }
      const cells = columns.map((name, c) => `${wins[c]}/${per[c]}`.padStart(name.length));
      console.log(`${label.padEnd(47)} ${cells.join('   ')}   ${wins.reduce((a, b) => a + b, 0)}/${questions.length}`);
    }
  } finally {
    await memory.close();
    await embedder.dispose?.();
    rmSync(dir, { recursive: true, force: true });
  }
});
