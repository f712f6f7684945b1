import { isEngramError, type Memory, type MemoryEvent, type Message } from '../../src/index.js';
import { turnContent, turnText, type Conversation, type Turn } from './locomo-data.js';
import type { Provenance } from './provenance.js';

export type EventCounts = Record<MemoryEvent['event'], number>;

export type IngestStats = {
  turns: number;
  addCalls: number;
  events: EventCounts;
  /** Chunks the LLM failed on (infer only): nothing was stored for them. */
  failedChunks: number;
  firstFailure?: string;
};

export function emptyIngestStats(): IngestStats {
  return { turns: 0, addCalls: 0, events: { ADD: 0, UPDATE: 0, DELETE: 0, NONE: 0 }, failedChunks: 0 };
}

/**
 * Stores every turn as said (`infer: false`), one `add` per turn so each
 * memory carries its own `{ diaId, session, speaker }` metadata (metadata is
 * per call, not per message). A turn whose text is already stored in the
 * scope gets event NONE and the existing memory's id, which then stands for
 * both turns.
 */
export async function ingestAsSaid(memory: Memory, conversation: Conversation, provenance: Provenance, stats: IngestStats): Promise<void> {
  for (const session of conversation.sessions) {
    for (const turn of session.turns) {
      const message: Message = { role: roleOf(turn, conversation), name: turn.speaker, content: turnText(turn), createdAt: session.createdAt };
      const metadata = { diaId: turn.dia_id, session: session.index, speaker: turn.speaker };
      const { results } = await memory.add([message], { userId: conversation.sampleId, infer: false, metadata });
      const [event] = results;
      if (!event) throw new Error(`${conversation.sampleId} ${turn.dia_id}: add returned no event`);
      provenance.attribute(event.id, [turn.dia_id]);
      count(stats, results, 1);
    }
  }
}

/**
 * Lets the LLM decide what to remember (`infer: true`): each session's turns
 * go in chunks of `chunkTurns` messages, the first speaker as the user, the
 * second as the assistant, dated at the session. Every memory an add
 * creates, updates or confirms (NONE) is attributed the chunk's turns. A
 * chunk the LLM fails on is counted and skipped, so one bad answer does not
 * end a long run. LLM calls are slow: `progress` hears about every session.
 */
export async function ingestInferred(
  memory: Memory,
  conversation: Conversation,
  provenance: Provenance,
  stats: IngestStats,
  options: { chunkTurns: number; progress: (line: string) => void },
): Promise<void> {
  const { chunkTurns, progress } = options;
  for (const [i, session] of conversation.sessions.entries()) {
    progress(`  session ${i + 1}/${conversation.sessions.length}: ${stats.addCalls} adds so far, ${stats.failedChunks} failed`);
    for (const chunk of chunks(session.turns, chunkTurns)) {
      const diaIds = chunk.map((t) => t.dia_id);
      const messages = chunk.map((turn): Message => ({ role: roleOf(turn, conversation), name: turn.speaker, content: turnContent(turn), createdAt: session.createdAt }));
      try {
        const { results } = await memory.add(messages, { userId: conversation.sampleId, infer: true, metadata: { session: session.index, diaIds } });
        for (const event of results) if (event.event !== 'DELETE') provenance.attribute(event.id, diaIds);
        count(stats, results, chunk.length);
      } catch (error) {
        if (!isEngramError(error) || (error.code !== 'LLM_OUTPUT_INVALID' && error.code !== 'LLM_FAILED')) throw error;
        stats.failedChunks += 1;
        stats.firstFailure ??= `${conversation.sampleId} ${diaIds[0] ?? ''}: ${error.message}`;
        stats.turns += chunk.length;
        stats.addCalls += 1;
      }
    }
  }
}

/** LoCoMo has two human speakers; Engram's messages have a user and an assistant. */
function roleOf(turn: Turn, conversation: Conversation): 'user' | 'assistant' {
  return turn.speaker === conversation.speakerB ? 'assistant' : 'user';
}

function count(stats: IngestStats, results: readonly MemoryEvent[], turns: number): void {
  stats.turns += turns;
  stats.addCalls += 1;
  for (const r of results) stats.events[r.event] += 1;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
