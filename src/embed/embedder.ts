import { EngramError } from '../errors.js';

/**
 * What texts are embedded for. `'document'`: a text that is stored to be found
 * (a memory, an entity's name). `'query'`: a search query, compared against
 * documents. Models trained asymmetrically (BGE's retrieval instruction, E5's
 * `query: ` / `passage: `) embed the two differently.
 */
export type EmbedPurpose = 'query' | 'document';

/**
 * Turns texts into vectors. The port every embedding model sits behind;
 * implement it to bring your own model.
 *
 * @example
 * const embedder: Embedder = {
 *   id: 'acme/my-model',
 *   dimension: 384,
 *   embed: async (texts, purpose = 'document') => myModel.encode(texts, { isQuery: purpose === 'query' }),
 * };
 */
export interface Embedder {
  /**
   * Names the model and how it is used (e.g. its query and document prefixes);
   * a database remembers it and refuses vectors from another one.
   */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dimension: number;
  /**
   * One vector per text, in order. Unit length is expected (cosine distance is used).
   * Stored texts are embedded as `'document'` (the default when `purpose` is
   * left out), search queries as `'query'`; an embedder that treats both alike
   * may ignore `purpose`.
   */
  embed(texts: string[], purpose?: EmbedPurpose): Promise<Float32Array[]>;
  /** Releases the model, if the embedder holds one. */
  dispose?(): Promise<void>;
}

/** Whether `value` looks like an Embedder instance (duck-typed, so users can bring plain objects). */
export function isEmbedder(value: unknown): value is Embedder {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    typeof candidate.dimension === 'number' &&
    Number.isInteger(candidate.dimension) &&
    candidate.dimension > 0 &&
    candidate.dimension <= 8192 &&
    typeof candidate.embed === 'function'
  );
}

/**
 * Calls the embedder and checks what comes back: one finite vector of the right
 * length per text. A broken embedder must never write garbage into the index.
 */
export async function embedChecked(embedder: Embedder, texts: string[], purpose: EmbedPurpose = 'document'): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  let vectors: Float32Array[];
  try {
    vectors = await embedder.embed(texts, purpose);
  } catch (error) {
    if (error instanceof EngramError) throw error;
    throw new EngramError('EMBEDDING_FAILED', `the embedding model "${embedder.id}" failed: ${String(error)}`, { cause: error });
  }
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    throw new EngramError('EMBEDDING_FAILED', `the embedding model "${embedder.id}" returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${texts.length} texts`);
  }
  return vectors.map((vector, i) => {
    if (!(vector instanceof Float32Array) || vector.length !== embedder.dimension) {
      throw new EngramError(
        'EMBEDDING_FAILED',
        `the embedding model "${embedder.id}" returned a vector of length ${vector?.length ?? 'none'} for text ${i}; expected a Float32Array of ${embedder.dimension}`,
      );
    }
    if (!vector.every(Number.isFinite)) {
      throw new EngramError('EMBEDDING_FAILED', `the embedding model "${embedder.id}" returned a non-finite value for text ${i}`);
    }
    return vector;
  });
}
