import { embedChecked, type Embedder } from '../embed/embedder.js';
import { newId } from '../ids.js';
import { GraphWriter } from './graph/graph-writer.js';
import type { Message, MemoryEvent, MemoryKind, Scope } from '../schema.js';
import type { Storage } from '../storage/storage.js';
import { cleanText, textHash } from '../text-hash.js';
import { toEpochMs } from '../time.js';
import { expiryFor, type ExpiryRule } from './expiry.js';

export type RawAddInput = {
  messages: Message[];
  scope: Scope;
  metadata: Record<string, unknown>;
  kind: MemoryKind;
  now: number;
  /** Link each stored memory to the entities its text names (the offline linker: no model). */
  graph?: boolean | undefined;
  /** When what is stored expires (see expiryFor). */
  expiry?: ExpiryRule | undefined;
};

type Candidate = { messageIndex: number; text: string; hash: string; validFrom: number; firstOfHash: boolean };

/**
 * `add` without inference: every user and assistant message becomes a memory
 * as it was said. A text already current in exactly this scope (or repeated
 * within the call) is not stored twice: its event is NONE.
 */
export async function addRaw(storage: Storage, embedder: Embedder, input: RawAddInput): Promise<MemoryEvent[]> {
  const candidates = collectCandidates(input);
  const toEmbed = candidates.filter((c) => c.firstOfHash);
  // Embed before the transaction opens: a model call must never hold the write lock.
  const embeddings = await embedChecked(
    embedder,
    toEmbed.map((c) => c.text),
  );
  const embeddingByHash = new Map(toEmbed.map((c, i) => [c.hash, embeddings[i] as Float32Array]));
  const graphWriter = input.graph ? await GraphWriter.prepare(embedder, candidates.map((c) => ({ text: c.text, relations: [], speaker: input.messages[c.messageIndex]?.name }))) : undefined;

  return storage.transaction('write', 'adding memories', async (tx) => {
    const messageIds = await tx.appendMessages(
      input.scope,
      input.messages.map((m) => ({
        role: m.role,
        name: m.name ?? null,
        content: m.content,
        createdAt: toEpochMs(m.createdAt) ?? input.now,
      })),
      input.now,
    );
    const events: MemoryEvent[] = [];
    const graph = graphWriter?.in(tx, input.scope, input.now);
    for (const [index, candidate] of candidates.entries()) {
      // Re-checked inside the transaction: another add may have stored it meanwhile.
      const existing = await tx.currentMemoryByHash(input.scope, candidate.hash);
      if (existing) {
        events.push({ id: existing.id, memory: existing.memory, event: 'NONE' });
        continue;
      }
      const message = input.messages[candidate.messageIndex] as Message;
      const item = await tx.insertMemory(
        {
          id: newId(input.now),
          text: candidate.text,
          hash: candidate.hash,
          kind: input.kind,
          scope: input.scope,
          metadata: input.metadata,
          validFrom: candidate.validFrom,
          source: { messageIds: [messageIds[candidate.messageIndex]], role: message.role, ...(message.name ? { name: message.name } : {}) },
          embedding: embeddingByHash.get(candidate.hash) as Float32Array,
          expiresAt: expiryFor(input.expiry ?? {}, input.kind, input.scope, input.now) ?? null,
        },
        input.now,
        'api',
      );
      await graph?.record(item.id, index, candidate.validFrom, [messageIds[candidate.messageIndex] as number]);
      events.push({ id: item.id, memory: item.memory, event: 'ADD' });
    }
    return events;
  });
}

function collectCandidates(input: RawAddInput): Candidate[] {
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  input.messages.forEach((message, messageIndex) => {
    if (message.role === 'system') return;
    const text = cleanText(message.content);
    const hash = textHash(text);
    candidates.push({ messageIndex, text, hash, validFrom: toEpochMs(message.createdAt) ?? input.now, firstOfHash: !seen.has(hash) });
    seen.add(hash);
  });
  return candidates;
}
