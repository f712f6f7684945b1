import { isEngramError, type Memory, type MemoryEvent, type Message, type Scope } from '../index.js';
import type { DemoLlm } from './demo-models.js';

type Out = (line: string) => void;

/** A conversation in which Sam changes a preference, a dose, and takes something back; `expected` is what a good model decides. */
const CONVERSATION: { note: string; expected: string; messages: Message[] }[] = [
  { note: 'a preference', expected: 'ADD the preference', messages: [{ role: 'user', content: 'I love spicy food; Thai green curry is my favourite.', createdAt: '2026-11-02T19:00:00Z' }] },
  {
    note: 'a medication, with its dose',
    expected: 'ADD the medication with its exact dose',
    messages: [{ role: 'user', content: 'I started taking lisinopril 10 mg every morning for my blood pressure.', createdAt: '2026-11-03T08:00:00Z' }],
  },
  { note: 'a plan', expected: 'ADD the visit', messages: [{ role: 'user', content: 'My sister Ana is visiting me in December.', createdAt: '2026-11-04T12:00:00Z' }] },
  {
    note: 'the preference changes',
    expected: 'UPDATE the spicy-food memory',
    messages: [{ role: 'user', content: "I can't handle spicy food any more; these days I prefer mild dishes.", createdAt: '2026-11-10T19:00:00Z' }],
  },
  {
    note: 'the dose changes',
    expected: 'UPDATE the dose to 20 mg',
    messages: [{ role: 'user', content: 'My doctor raised my lisinopril to 20 mg, still every morning.', createdAt: '2026-11-12T08:00:00Z' }],
  },
  {
    note: 'a retraction',
    expected: 'DELETE the visit',
    messages: [{ role: 'user', content: 'Forget what I said about Ana visiting: she cancelled her trip.', createdAt: '2026-11-15T12:00:00Z' }],
  },
  {
    note: 'small talk and a repeat',
    expected: 'NONE: nothing new; the assistant’s words are not facts about Sam',
    messages: [
      { role: 'user', content: 'Thanks! And yes, I still take lisinopril 20 mg every morning.', createdAt: '2026-11-16T08:00:00Z' },
      { role: 'assistant', content: 'You are welcome, Sam. Enjoy a mild curry tonight!', createdAt: '2026-11-16T08:00:05Z' },
    ],
  },
];

/** What the demo says before part two, depending on the LLM it found. */
export function llmNotice(llm: DemoLlm): string[] {
  if (llm.kind === 'configured') return [`   Thinking with ${llm.path}. Each add is one LLM call; the first also loads the model.`];
  const get = 'Get a real one once with `engram models pull` (about 1 GB; afterwards everything runs offline).';
  if (llm.kind === 'none') return [`   No LLM at ${llm.missing}, and no generated test LLM either. ${get}`];
  return [
    `   Notice: no LLM at ${llm.missing}. ${get}`,
    `   Running on the generated test LLM (${llm.path}): a tiny model with RANDOM weights.`,
    '   Its decisions below are NOT meaningful; they only show the machinery. It may even',
    '   answer with invalid operations (LLM_OUTPUT_INVALID), which Engram refuses whole.',
  ];
}

/**
 * Part two of `engram demo`, "memory that thinks": every message goes through
 * `add` with inference, and each ADD / UPDATE / DELETE / NONE the model decides
 * is shown, then what Engram finally knows. Model failures are shown, never thrown.
 */
export async function runInferenceDemo(memory: Memory, llm: DemoLlm, out: Out): Promise<void> {
  out('\n8. Memory that thinks: Sam talks, and the local LLM decides what to remember (infer: true)');
  for (const line of llmNotice(llm)) out(line);
  if (llm.kind === 'none') return;
  const sam: Scope = { userId: 'sam' };
  for (const turn of CONVERSATION) {
    out(`\n   (${turn.note}${llm.kind === 'test' ? `; a real model would ${turn.expected}` : ''})`);
    for (const m of turn.messages) out(`   ${m.role === 'user' ? 'Sam' : 'Assistant'}: ${m.content}`);
    await addAndShow(memory, turn.messages, sam, out);
  }
  out('\n9. What Engram knows about Sam after the conversation');
  const { results } = await memory.getAll(sam);
  if (results.length === 0) out('   (nothing)');
  for (const item of results) out(`   • ${item.memory}  (since ${item.validFrom.slice(0, 10)}, version ${item.version})`);
}

async function addAndShow(memory: Memory, messages: Message[], scope: Scope, out: Out): Promise<void> {
  try {
    const { results, droppedOperations } = await memory.add(messages, scope);
    if (results.length === 0) out('     (nothing to remember)');
    for (const event of results) out(`     ${describeEvent(event)}`);
    if (droppedOperations > 0) out(`     (${droppedOperations} operation(s) of the model refused: unknown memory ids or empty texts)`);
  } catch (error) {
    if (!isEngramError(error) || !['LLM_OUTPUT_INVALID', 'LLM_FAILED', 'MODEL_LOAD_FAILED'].includes(error.code)) throw error;
    out(`     ✗ ${error.code}: ${firstSentence(error.message)} Nothing was stored.`);
  }
}

function describeEvent(event: MemoryEvent): string {
  if (event.event === 'UPDATE' && event.previousMemory !== undefined) return `UPDATE  "${event.previousMemory}" → "${event.memory}"`;
  return `${event.event.padEnd(6)}  "${event.memory}"`;
}

function firstSentence(message: string): string {
  const cut = message.search(/[.;:]\s/);
  return `${(cut === -1 ? message : message.slice(0, cut)).slice(0, 160)}.`;
}
