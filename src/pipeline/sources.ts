import type { LoggedMessage, ScoredMemory } from '../schema.js';
import type { Storage, StoredMessage } from '../storage/storage.js';
import { toIso } from '../time.js';

/**
 * Gives each result the logged messages it was stored from (`sources`). An
 * inferred fact is a good key (short, one idea, the words a question uses);
 * the message it came from is the better value: it keeps the details the
 * fact left out (LongMemEval's key expansion). Memories stored as said have
 * their one message; imported ones whose messages were not imported, none.
 */
export async function withSources(storage: Storage, results: ScoredMemory[], at: number | undefined): Promise<ScoredMemory[]> {
  if (results.length === 0) return results;
  const found = await storage.transaction('read', 'reading source messages', (tx) =>
    tx.sourceMessages(
      results.map((r) => r.id),
      at,
    ),
  );
  return results.map((result) => ({
    ...result,
    sources: (found.get(result.id) ?? []).map(toLoggedMessage),
  }));
}

/** A logged message as the API shows it: ISO dates, no empty name. */
export function toLoggedMessage(m: StoredMessage): LoggedMessage {
  return { id: m.id, role: m.role, ...(m.name ? { name: m.name } : {}), content: m.content, createdAt: toIso(m.createdAt) };
}
