import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseLocomoDateTime } from './locomo-date.js';

/** LoCoMo's category numbers, named as the dataset's README and code use them. */
export const CATEGORY_NAMES: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
  5: 'adversarial',
};

const TurnSchema = z.object({
  speaker: z.string().min(1),
  dia_id: z.string().min(1),
  text: z.string(),
  /** A machine caption of an image the speaker shared. */
  blip_caption: z.string().optional(),
});

/** Answers are mostly strings, a few are numbers (years, counts). */
const AnswerSchema = z.union([z.string(), z.number()]).transform(String);

const QaSchema = z.object({
  question: z.string().min(1),
  answer: AnswerSchema.optional(),
  /** Category 5 only: the answer a model misled by the question would give; not a gold answer. */
  adversarial_answer: AnswerSchema.optional(),
  evidence: z.array(z.string()).default([]),
  category: z.number().int().min(1).max(5),
});

/** Only the parts the evaluation reads; session keys are dynamic, so the rest stays loose. */
const SampleSchema = z.object({
  sample_id: z.string().min(1),
  conversation: z.looseObject({ speaker_a: z.string(), speaker_b: z.string() }),
  qa: z.array(QaSchema),
});

export type Turn = z.infer<typeof TurnSchema>;
export type Qa = z.infer<typeof QaSchema>;
export type Session = { index: number; createdAt: string; turns: Turn[] };
export type Conversation = { sampleId: string; speakerA: string; speakerB: string; sessions: Session[]; qa: Qa[] };

/** Reads and validates locomo10.json. Returns null when the file is absent (the caller explains). */
export function loadLocomo(path: string): Conversation[] | null {
  if (!existsSync(path)) return null;
  const samples = z.array(SampleSchema).parse(JSON.parse(readFileSync(path, 'utf8')));
  return samples.map(toConversation);
}

function toConversation(sample: z.infer<typeof SampleSchema>): Conversation {
  const { speaker_a: speakerA, speaker_b: speakerB } = sample.conversation;
  return { sampleId: sample.sample_id, speakerA, speakerB, sessions: sessionsOf(sample.conversation, sample.sample_id), qa: sample.qa };
}

/**
 * The sessions that have turns, in order. Some conversations list more
 * `session_N_date_time` keys than sessions: dates without turns are ignored.
 */
function sessionsOf(conversation: Record<string, unknown>, sampleId: string): Session[] {
  const sessions: Session[] = [];
  for (const [key, value] of Object.entries(conversation)) {
    const match = /^session_(\d+)$/.exec(key);
    if (!match) continue;
    const dateTime = conversation[`${key}_date_time`];
    if (typeof dateTime !== 'string') throw new Error(`${sampleId}: ${key} has no ${key}_date_time`);
    sessions.push({ index: Number(match[1]), createdAt: parseLocomoDateTime(dateTime), turns: z.array(TurnSchema).parse(value) });
  }
  return sessions.sort((a, b) => a.index - b.index);
}

/** What a turn says, with the caption of a shared image: "text [shares a photo of …]". */
export function turnContent(turn: Turn): string {
  const caption = turn.blip_caption?.trim();
  const text = turn.text.trim();
  return caption ? `${text} [shares ${caption}]`.trim() : text;
}

/** One turn as a stored memory: "Speaker: text [shares …]", so the memory says who said it. */
export function turnText(turn: Turn): string {
  return `${turn.speaker}: ${turnContent(turn)}`;
}

/** Every dia_id of a conversation: evidence pointing elsewhere cannot be retrieved. */
export function diaIdsOf(conversation: Conversation): Set<string> {
  return new Set(conversation.sessions.flatMap((s) => s.turns.map((t) => t.dia_id)));
}
