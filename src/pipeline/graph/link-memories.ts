import type { Embedder } from '../../embed/embedder.js';
import type { Scope } from '../../schema.js';
import { isInScope, scopeOf } from '../../scope.js';
import type { Storage } from '../../storage/storage.js';
import { GraphWriter, type GraphSession } from './graph-writer.js';

/** Memories linked per transaction: a stop loses at most one batch, and a re-run skips what was linked. */
const BATCH = 200;

type Current = { id: string; scope: Scope; text: string; speaker: string | undefined };
export type LinkProgress = { done: number; total: number; linked: number };

/**
 * Links the current memories of a scope (or of the whole store) that name no
 * entity yet to the names their text holds and to their speaker, with the
 * offline linker: for a store kept before the graph was switched on, or an
 * import of an export without a graph. Relations need the LLM and are not
 * made. Idempotent. Reads the memories through the store's export (it holds
 * each version's provenance: who said it).
 */
export async function linkMemories(
  storage: Storage,
  embedder: Embedder,
  options: { scope?: Scope | undefined; now: number; onProgress?: ((progress: LinkProgress) => void) | undefined },
): Promise<{ linked: number; memories: number }> {
  // Read first, write after: the export's reads never overlap the links' writes.
  const current: Current[] = [];
  for await (const record of storage.exportRecords()) {
    if (record.type !== 'memory') continue;
    const last = record.versions.at(-1);
    const scope = scopeOf(record);
    if (!last || last.validTo !== undefined || (options.scope && !isInScope(scope, options.scope))) continue;
    const speaker = last.source?.name;
    current.push({ id: record.id, scope, text: last.memory, speaker: typeof speaker === 'string' ? speaker : undefined });
  }
  let linked = 0;
  for (let start = 0; start < current.length; start += BATCH) {
    linked += await linkBatch(storage, embedder, current.slice(start, start + BATCH), options.now);
    options.onProgress?.({ done: Math.min(current.length, start + BATCH), total: current.length, linked });
  }
  return { linked, memories: current.length };
}

/** Links the memories of a batch that name nothing yet; how many it linked. */
async function linkBatch(storage: Storage, embedder: Embedder, batch: Current[], now: number): Promise<number> {
  const named = await storage.transaction('read', 'reading what memories name', (tx) => tx.mentions(batch.map((m) => m.id)));
  const todo = batch.filter((m) => (named.get(m.id) ?? []).length === 0);
  if (todo.length === 0) return 0;
  const writer = await GraphWriter.prepare(
    embedder,
    todo.map((m) => ({ text: m.text, relations: [], speaker: m.speaker })),
  );
  return storage.transaction('write', 'linking memories to entities', async (tx) => {
    let count = 0;
    // One session per exact scope: entities are never shared between scopes.
    const sessions = new Map<string, GraphSession>();
    for (const [index, memory] of todo.entries()) {
      const key = JSON.stringify([memory.scope.userId, memory.scope.agentId, memory.scope.runId]);
      let session = sessions.get(key);
      if (!session) sessions.set(key, (session = writer.in(tx, memory.scope, now)));
      // Linked meanwhile by another writer: link adds to what it names, never duplicates.
      if (await session.link(memory.id, index)) count += 1;
    }
    return count;
  });
}
