import { Store } from './store.js';

export type ReindexInput = {
  path: string;
  encryptionKey: string | undefined;
  /** The new embedding model. */
  model: { id: string; dimension: number };
  /** Embeds texts with that model (the caller runs the model: the engine never does). */
  embed: (texts: string[]) => Promise<Float32Array[]>;
  batchSize: number;
  /** Texts re-embedded so far (memory versions and entity names), of how many. */
  onProgress?: ((progress: { done: number; total: number }) => void) | undefined;
};

/** `reembedded`: memory versions re-embedded by this run; `entityNames`: entities' names. */
export type ReindexResult = { reembedded: number; entityNames: number; model: string };

/**
 * SQLite file maintenance: re-embeds every memory version and entity name of a file with the new model, batch by batch
 * beside the live index (resumable; the file keeps working meanwhile), then
 * swaps the new vectors in at once. The swap needs the file to itself
 * (FILE_IN_USE otherwise): a process still running with the old model must
 * not write old-model vectors into the new index. A file already bound to
 * this model is left alone.
 */
export async function reindexFile(input: ReindexInput): Promise<ReindexResult> {
  const { model: embedder } = input;
  const done = { reembedded: 0, entityNames: 0 };
  const add = (counts: { versions: number; names: number }) => {
    done.reembedded += counts.versions;
    done.entityNames += counts.names;
  };
  const shared = Store.open({ path: input.path, busyTimeoutMs: 5_000, encryptionKey: input.encryptionKey });
  try {
    const bound = shared.embeddingModel();
    if (bound && bound.id === embedder.id && bound.dimension === embedder.dimension) return { ...done, model: embedder.id };
    shared.startReindex(embedder.id, embedder.dimension);
    input.onProgress?.(shared.reindexCounts());
    add(await reembedPending(shared, input));
  } finally {
    shared.close();
  }
  const exclusive = Store.openExclusive({
    path: input.path,
    encryptionKey: input.encryptionKey,
    doing: `switching to the new embedding model (every memory is re-embedded and kept; run the same reindex again to finish)`,
  });
  try {
    // Memories and entities added since the last batch get their vectors before the swap.
    do add(await reembedPending(exclusive, input));
    while (!exclusive.finishReindex(embedder.id, embedder.dimension));
    return { ...done, model: embedder.id };
  } finally {
    exclusive.close();
  }
}

/** Embeds every memory version, then every entity name, still waiting for a new vector; returns how many of each. */
async function reembedPending(store: Store, input: ReindexInput): Promise<{ versions: number; names: number }> {
  const counts = { versions: 0, names: 0 };
  for (;;) {
    const pending = store.pendingReindex(input.batchSize);
    if (pending.length === 0) break;
    const vectors = await input.embed(pending.map((p) => p.text));
    store.storeReindexVectors(pending.map((version, i) => ({ version, embedding: vectors[i] as Float32Array })));
    counts.versions += pending.length;
    input.onProgress?.(store.reindexCounts());
  }
  for (;;) {
    const pending = store.pendingEntityReindex(input.batchSize);
    if (pending.length === 0) return counts;
    const vectors = await input.embed(pending.map((p) => p.name));
    store.storeEntityReindexVectors(pending.map((entity, i) => ({ entity, embedding: vectors[i] as Float32Array })));
    counts.names += pending.length;
    input.onProgress?.(store.reindexCounts());
  }
}
