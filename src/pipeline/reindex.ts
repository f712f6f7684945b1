import { embedChecked, type Embedder } from '../embed/embedder.js';
import { Store } from '../store/store.js';

export type ReindexInput = {
  path: string;
  encryptionKey: string | undefined;
  embedder: Embedder;
  batchSize: number;
  onProgress?: ((progress: { done: number; total: number }) => void) | undefined;
};

/**
 * Re-embeds every memory version of a file with `embedder`, batch by batch
 * beside the live index (resumable), then swaps the new vectors in at once.
 * A file already bound to this model is left alone.
 */
export async function reindexFile(input: ReindexInput): Promise<{ reembedded: number; model: string }> {
  const { embedder } = input;
  const store = Store.open({ path: input.path, busyTimeoutMs: 5_000, encryptionKey: input.encryptionKey });
  try {
    const bound = store.embeddingModel();
    if (bound && bound.id === embedder.id && bound.dimension === embedder.dimension) return { reembedded: 0, model: embedder.id };
    store.startReindex(embedder.id, embedder.dimension);
    input.onProgress?.(store.reindexCounts());
    let reembedded = 0;
    for (;;) {
      const pending = store.pendingReindex(input.batchSize);
      if (pending.length === 0) {
        if (store.finishReindex(embedder.id, embedder.dimension)) break;
        continue; // a memory arrived meanwhile: embed it too
      }
      const vectors = await embedChecked(
        embedder,
        pending.map((p) => p.text),
      );
      store.storeReindexVectors(pending.map((p, i) => ({ seq: p.seq, embedding: vectors[i] as Float32Array })));
      reembedded += pending.length;
      input.onProgress?.(store.reindexCounts());
    }
    return { reembedded, model: embedder.id };
  } finally {
    store.close();
  }
}
