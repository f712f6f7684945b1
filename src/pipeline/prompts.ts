import type { ChatMessage } from '../llm/llm.js';
import { categoriesOf, type Policy } from '../policy.js';
import { MAX_CATEGORIES_PER_FACT } from './operations.js';

const RECONCILE_RULES = `You keep an assistant's long-term memory of its user. Compare the NEW messages with the EXISTING memories and answer with JSON operations:
- ADD: a new fact worth remembering (preference, personal detail, relationship, plan, health, event). "text": one short self-contained sentence in the user's language, about the user. "kind": "semantic" (lasting fact or preference), "episodic" (an event, with its date), "procedural" (how the user wants things done).
- UPDATE: an EXISTING memory changed or became more precise. "id": its number; "text": the whole new sentence.
- DELETE: the user retracts or contradicts an EXISTING memory and nothing replaces it. "id": its number.
- NONE: a NEW message only repeats an EXISTING memory. "id": its number.
Rules: only what the user says about themself counts; the assistant's words, questions and greetings are not user facts. Write relative dates as absolute dates, using the message date. Keep health facts exact: drug, dose, unit, frequency. Nothing to remember: {"operations":[]}.`;

const GRAPH_RULE = `Each ADD and UPDATE also lists "relations" its text states between named things: {"source","relation","target"}, "I" for the user, relation in snake_case (works_at, lives_in, takes, knows); none: [].`;

/** The examples, written once: with the graph on, ADD and UPDATE carry the relations their text states. */
function examples(graph: boolean): string {
  const rel = (...relations: [string, string, string][]) =>
    graph ? `,"relations":[${relations.map(([s, r, t]) => `{"source":"${s}","relation":"${r}","target":"${t}"}`).join(',')}]` : '';
  return `Examples:
Date: 2024-03-02 (Saturday)
EXISTING:
0. Likes coffee
1. Has a dog named Rex
NEW:
user: I quit coffee, only green tea now. And yesterday I started taking metformin 500 mg twice a day.
assistant: Green tea is a good choice!
{"operations":[{"event":"UPDATE","id":"0","text":"Drinks green tea, no longer coffee"${rel(['I', 'drinks', 'green tea'])}},{"event":"ADD","text":"Started taking metformin 500 mg twice a day on 2024-03-01","kind":"episodic"${rel(['I', 'takes', 'metformin'])}},{"event":"NONE","id":"1"}]}
Date: 2024-05-10 (Friday)
EXISTING:
0. Has a dog named Rex
1. Lives in Lisbon
NEW:
user: Forget what I said about a dog, I never had one. Ich wohne immer noch in Lissabon.
{"operations":[{"event":"DELETE","id":"0"},{"event":"NONE","id":"1"}]}
Date: 2024-06-01 (Saturday)
EXISTING:
(none)
NEW:
user: Hi! Can you recommend a book?
assistant: You might like Dune.
{"operations":[]}`;
}

/**
 * The prompts. The instruction block is fixed text, always first, so
 * llama.cpp evaluates it once and reuses it from the context cache: each add
 * then pays only for its own lines (date, candidates, messages). With the
 * entity graph on, one more rule and relations in the examples.
 */
export const RECONCILE_INSTRUCTIONS = `${RECONCILE_RULES}\n${examples(false)}`;
export const GRAPH_RECONCILE_INSTRUCTIONS = `${RECONCILE_RULES}\n${GRAPH_RULE}\n${examples(true)}`;

const DENY_NAMES: Readonly<Record<string, string>> = { 'card-number': 'payment card numbers', iban: 'bank account numbers (IBAN)', email: 'email addresses', 'us-ssn': 'social security numbers' };

/**
 * The store's policy as lines of the fixed instructions, after the rules and
 * before the examples: the system message stays the same for every add of the
 * store, so llama.cpp still evaluates it once. Empty without a policy.
 */
export function policyLines(policy: Policy | undefined): string {
  if (!policy) return '';
  const lines: string[] = [];
  if (policy.instructions?.trim()) lines.push(`This deployment's instructions (they come before the rules above): ${policy.instructions.trim()}`);
  if (policy.includes?.length) lines.push(`Remember especially: ${policy.includes.join('; ')}.`);
  if (policy.excludes?.length) lines.push(`Never remember: ${policy.excludes.join('; ')}.`);
  const denied = (policy.deny ?? []).map((rule) => (typeof rule === 'string' ? (DENY_NAMES[rule] ?? rule) : rule.name));
  if (denied.length > 0) lines.push(`Never write down: ${denied.join('; ')} (they are removed anyway).`);
  const categories = categoriesOf(policy);
  if (categories.length > 0) {
    const listed = categories.map((c) => (c.description ? `${c.name} (${c.description})` : c.name)).join('; ');
    lines.push(`Each ADD and UPDATE also lists "categories": 1 to ${MAX_CATEGORIES_PER_FACT} of ${listed}.`);
  }
  if (policy.importance) {
    lines.push(
      'Each ADD and UPDATE also rates its "importance": 1 trivia that may fade, 2 a passing detail, 3 useful, 4 matters for a long time, 5 must never be lost (health, safety, lasting commitments).',
    );
  }
  return lines.join('\n');
}

/** The system message of the reconciliation call: the rules, the store's policy, the examples. */
export function reconcileInstructions(graph: boolean, policy: Policy | undefined): string {
  const lines = policyLines(policy);
  if (lines === '') return graph ? GRAPH_RECONCILE_INSTRUCTIONS : RECONCILE_INSTRUCTIONS;
  return graph ? `${RECONCILE_RULES}\n${GRAPH_RULE}\n${lines}\n${examples(true)}` : `${RECONCILE_RULES}\n${lines}\n${examples(false)}`;
}

export type PromptCandidate = { alias: string; text: string };
/** `date`: shown when the new messages span several days (queued adds handled together), so relative dates resolve per message. */
export type PromptMessage = { role: 'user' | 'assistant'; content: string; name?: string | undefined; date?: Date | undefined };

const MAX_CONTEXT_CHARS = 200;

/** The one reconciliation prompt: fixed instructions, then this add's date, candidates, context and messages. */
export function reconcilePrompt(input: {
  /** Ask for the relations each fact states too (the entity graph is on). */
  graph?: boolean | undefined;
  /** The store's policy: its lines join the fixed instructions. */
  policy?: Policy | undefined;
  observedAt: Date;
  candidates: PromptCandidate[];
  earlier: PromptMessage[];
  messages: PromptMessage[];
}): ChatMessage[] {
  const lines = [`Date: ${describeDate(input.observedAt)}`, 'EXISTING:'];
  if (input.candidates.length === 0) lines.push('(none)');
  for (const c of input.candidates) lines.push(`${c.alias}. ${oneLine(c.text)}`);
  if (input.earlier.length > 0) {
    lines.push('EARLIER (context only):');
    for (const m of input.earlier) lines.push(speaker(m, truncate(oneLine(m.content), MAX_CONTEXT_CHARS)));
  }
  lines.push('NEW:');
  for (const m of input.messages) lines.push(speaker(m, oneLine(m.content)));
  return [
    { role: 'system', content: reconcileInstructions(input.graph ?? false, input.policy) },
    { role: 'user', content: lines.join('\n') },
  ];
}

export const PROCEDURE_INSTRUCTIONS = `You write an AI agent's procedural memory. Summarize the agent's run below as one reusable memory: the goal, the steps that worked in order, the tools used, and the outcome (and what to avoid, if something failed). Keep names, commands and values exact. Answer with JSON: {"memory":"..."}.`;

/** The prompt that turns an agent's run into one procedural memory. */
export function procedurePrompt(input: { observedAt: Date; messages: PromptMessage[] }): ChatMessage[] {
  const lines = [`Date: ${describeDate(input.observedAt)}`, 'RUN:'];
  for (const m of input.messages) lines.push(speaker(m, oneLine(m.content)));
  return [
    { role: 'system', content: PROCEDURE_INSTRUCTIONS },
    { role: 'user', content: lines.join('\n') },
  ];
}

/** "2024-05-08 (Wednesday)": the weekday lets the model resolve "last Monday". */
export function describeDate(date: Date): string {
  const weekday = date.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  return `${date.toISOString().slice(0, 10)} (${weekday})`;
}

function speaker(message: PromptMessage, text: string): string {
  const who = message.role === 'user' ? 'user' : 'assistant';
  const named = message.name ? `${who} (${oneLine(message.name)})` : who;
  return `${message.date ? `[${describeDate(message.date)}] ` : ''}${named}: ${text}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
