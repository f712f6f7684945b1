import { Store } from './store.js';

export type ReindexInput = {
  path: string;
  encryptionKey: string | undefined;
  /** The new embedding model. */
  model: { id: string; dimension: number };
  /** Embeds texts with that model (the caller runs the model: the engine never does). */
  embed: (texts: string[]) => Promise<Float32Array[]>;
  batchSize: number;
  onProgress?: ((progress: { done: number; total: number }) => void) | undefined;
};

/**
 * SQLite file maintenance: re-embeds every memory version of a file with the new model, batch by batch
 * beside the live index (resumable; the file keeps working meanwhile), then
 * swaps the new vectors in at once. The swap needs the file to itself
 * (FILE_IN_USE otherwise): a process still running with the old model must
 * not write old-model vectors into the new index. A file already bound to
 * this model is left alone.
 */
export async function reindexFile(input: ReindexInput): Promise<{ reembedded: number; model: string }> {
  const { model: embedder } = input;
  let reembedded = 0;
  const shared = Store.open({ path: input.path, busyTimeoutMs: 5_000, encryptionKey: input.encryptionKey });
  try {
    const bound = shared.embeddingModel();
    if (bound && bound.id === embedder.id && bound.dimension === embedder.dimension) return { reembedded: 0, model: embedder.id };
    shared.startReindex(embedder.id, embedder.dimension);
    input.onProgress?.(shared.reindexCounts());
    reembedded += await reembedPending(shared, input);
  } finally {
    shared.close();
  }
  const exclusive = Store.openExclusive({
    path: input.path,
    encryptionKey: input.encryptionKey,
    doing: `switching to the new embedding model (every memory is re-embedded and kept; run the same reindex again to finish)`,
  });
  try {
    // Memories added since the last batch get their vectors before the swap.
    do reembedded += await reembedPending(exclusive, input);
    while (!exclusive.finishReindex(embedder.id, embedder.dimension));
    return { reembedded, model: embedder.id };
  } finally {
    exclusive.close();
  }
}

/** Embeds every memory version still waiting for a new vector; returns how many. */
async function reembedPending(store: Store, input: ReindexInput): Promise<number> {
  let count = 0;
  for (;;) {
    const pending = store.pendingReindex(input.batchSize);
    if (pending.length === 0) return count;
    const vectors = await input.embed(pending.map((p) => p.text));
    store.storeReindexVectors(pending.map((version, i) => ({ version, embedding: vectors[i] as Float32Array })));
    count += pending.length;
    input.onProgress?.(store.reindexCounts());
  }
}
