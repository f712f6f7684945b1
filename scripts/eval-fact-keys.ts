/**
 * Fact keys (a script, not a test): does returning the messages an inferred
 * fact came from find answers the fact left out? LongMemEval's key
 * expansion: the fact is the key a search matches, the message the value it
 * returns.
 *   npm run eval:fact-keys
 *
 * A small constructed set, written here (not evaluation data): 12 things a
 * user said, each with details (a name, a place, a dose), a scripted LLM
 * that extracts each as a short fact without the detail (as small models
 * often do), 24 lines of small talk the LLM stores nothing from, and one
 * question per thing whose answer is the detail. Three ways to answer,
 * each scored by whether the answer's words are in the top-k text:
 *   messages   every message stored as said (infer: false), searched directly
 *   facts      the scripted facts, searched, their text read
 *   facts → messages   the same search, the facts' source messages read (withSources)
 * With the CI embedder (models/test/embedding); `--embedding-model <folder>` for another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory, TransformersEmbedder, type Embedder, type Llm, type ScoredMemory } from '../src/index.js';
import { parseArgs } from 'node:util';
import { projectRoot, runScript } from './lib/script-cli.js';

type Item = { said: string; fact: string; question: string; answer: string[] };

const ITEMS: Item[] = [
  { said: "We finally adopted a dog! A beagle puppy, we named him Biscuit, he's ten weeks old.", fact: 'Adopted a beagle puppy', question: 'What is the name of my dog?', answer: ['biscuit'] },
  { said: "My daughter's recital is on Friday at the Lincoln Theater, she is playing Chopin.", fact: 'Daughter has a piano recital on Friday', question: "Where is my daughter's recital?", answer: ['lincoln'] },
  { said: 'I started a new job at Meridian Health as a data analyst, the commute is forty minutes.', fact: 'Started a new job as a data analyst', question: 'Which company do I work for now?', answer: ['meridian'] },
  { said: 'Dr. Patel switched my blood pressure pill to amlodipine 5 mg because of the cough.', fact: 'Blood pressure medication was changed because of a cough', question: 'What blood pressure medicine do I take now?', answer: ['amlodipine'] },
  { said: "For our anniversary we're going to Lisbon in October, staying in Alfama.", fact: 'Planning an anniversary trip in October', question: 'Where are we going for our anniversary?', answer: ['lisbon'] },
  { said: 'My sister Rosa just had twins, two girls, Mia and Lena.', fact: 'Sister had twin girls', question: 'What are the names of my nieces?', answer: ['mia', 'lena'] },
  { said: "I'm allergic to penicillin, I found out when I broke out in hives as a kid.", fact: 'Has a drug allergy', question: 'Which antibiotic am I allergic to?', answer: ['penicillin'] },
  { said: "I've been learning Portuguese on my phone every morning, a 120 day streak.", fact: 'Learning a new language every morning', question: 'What language am I learning?', answer: ['portuguese'] },
  { said: "My car broke down again, the mechanic at Joe's Garage says it's the alternator.", fact: 'Car broke down and is being repaired', question: 'What part of my car failed?', answer: ['alternator'] },
  { said: "Our book club is reading The Overstory this month, meeting at Claire's place.", fact: 'Book club picked a new book this month', question: 'What book is the book club reading?', answer: ['overstory'] },
  { said: "I'm running the Riverside half marathon in April, aiming for under two hours.", fact: 'Training for a half marathon in April', question: 'What is my target time for the half marathon?', answer: ['two', 'hours'] },
  { said: 'My son Theo starts kindergarten at Oakwood Elementary in September.', fact: 'Son starts kindergarten in September', question: 'Which school will Theo attend?', answer: ['oakwood'] },
];

const SMALL_TALK = [
  'Haha yes, exactly.', 'Okay, thanks!', 'What time is it there?', 'Good morning!', 'That makes sense.', 'I will think about it.',
  'Sounds good to me.', 'Can you say that again?', 'Not sure, maybe later.', 'Thanks for asking.', 'Oh no, really?', 'Let me check.',
  'Right, I remember now.', 'Anyway, how are you?', 'It was a long day.', 'I am so tired today.', 'See you tomorrow.', 'That is funny.',
  'Why not, let us try.', 'I guess so.', 'Wow, nice.', 'Hmm, interesting.', 'No worries at all.', 'Talk soon!',
];

/** Small talk interleaved with the items, two lines between each. */
function conversation(): { content: string; item?: Item }[] {
  return ITEMS.flatMap((item, i) => [{ content: SMALL_TALK[2 * i] as string }, { content: item.said, item }, { content: SMALL_TALK[2 * i + 1] as string }]);
}

/** Answers in order: each item's fact when its message is added, nothing for small talk. */
class ScriptedExtractor implements Llm {
  readonly id = 'eval/scripted-extractor';
  readonly answers: string[] = [];
  async complete(): Promise<string> {
    const next = this.answers.shift();
    if (next === undefined) throw new Error('no answer planned');
    return next;
  }
}

type Variant = 'messages' | 'facts' | 'facts → messages';
const KS = [1, 3] as const;

function hasAnswer(texts: readonly string[], answer: readonly string[]): boolean {
  const words = new Set(texts.join(' ').toLowerCase().split(/[^a-z0-9]+/u));
  return answer.every((word) => words.has(word));
}

async function run(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { 'embedding-model': { type: 'string', default: join(projectRoot, 'models/test/embedding') } } });
  const model = values['embedding-model'];
  const embedder: Embedder = new TransformersEmbedder({ model });
  const dir = mkdtempSync(join(tmpdir(), 'engram-fact-keys-'));
  const found: Record<Variant, Record<(typeof KS)[number], number>> = { messages: { 1: 0, 3: 0 }, facts: { 1: 0, 3: 0 }, 'facts → messages': { 1: 0, 3: 0 } };
  try {
    const llm = new ScriptedExtractor();
    const memory = await Memory.open({ path: join(dir, 'memory.db'), embedder, llm });
    try {
      for (const turn of conversation()) {
        await memory.add(turn.content, { userId: 'said', infer: false });
        llm.answers.push(JSON.stringify({ operations: turn.item ? [{ event: 'ADD', text: turn.item.fact, kind: 'semantic' }] : [] }));
        await memory.add(turn.content, { userId: 'inferred' });
      }
      for (const item of ITEMS) {
        const said = await memory.search(item.question, { userId: 'said', limit: 3 });
        const inferred = await memory.search(item.question, { userId: 'inferred', limit: 3, withSources: true });
        const texts: Record<Variant, (r: ScoredMemory) => string> = {
          messages: (r) => r.memory,
          facts: (r) => r.memory,
          'facts → messages': (r) => (r.sources ?? []).map((m) => m.content).join(' '),
        };
        for (const k of KS) {
          if (hasAnswer(said.results.slice(0, k).map(texts.messages), item.answer)) found.messages[k] += 1;
          if (hasAnswer(inferred.results.slice(0, k).map(texts.facts), item.answer)) found.facts[k] += 1;
          if (hasAnswer(inferred.results.slice(0, k).map(texts['facts → messages']), item.answer)) found['facts → messages'][k] += 1;
        }
      }
    } finally {
      await memory.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await embedder.dispose?.();
  }
  console.log(`fact keys: ${ITEMS.length} questions, ${SMALL_TALK.length} lines of small talk, embedder ${model}`);
  console.log('answer found in the top k        k=1     k=3');
  for (const variant of Object.keys(found) as Variant[]) {
    console.log(`${variant.padEnd(30)} ${KS.map((k) => `${found[variant][k]}/${ITEMS.length}`.padStart(7)).join(' ')}`);
  }
}

runScript(run);
