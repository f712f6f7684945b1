import type { Embedder } from 'engram-memory';

/**
 * An embedder whose vectors the test chooses: each text maps to the vector
 * registered for it, so a test controls the geometry exactly (e.g. 384-d
 * clusters, where vector search takes its approximate first pass).
 */
export class FixedVectorsEmbedder implements Embedder {
  readonly id: string;
  private readonly vectors = new Map<string, Float32Array>();

  constructor(readonly dimension: number) {
    this.id = `test/fixed-vectors-${dimension}`;
  }

  set(text: string, vector: Float32Array): void {
    if (vector.length !== this.dimension) throw new Error(`a ${this.dimension}-d vector is needed for "${text}"`);
    this.vectors.set(text, vector);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const vector = this.vectors.get(text);
      if (!vector) throw new Error(`no vector registered for "${text}"`);
      return vector;
    });
  }
}
