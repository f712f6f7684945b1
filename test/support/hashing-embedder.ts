import { createHash } from 'node:crypto';
import type { Embedder } from 'engram-memory';

/**
 * A deterministic bag-of-words embedder: each lower-cased word adds a fixed
 * pseudo-random direction. No meaning, but identical words give identical
 * directions, which is enough where a second, different model is needed.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;
  calls = 0;

  constructor(readonly dimension: number = 32, id?: string) {
    this.id = id ?? `test/hashing-${dimension}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls += 1;
    return texts.map((text) => this.embedOne(text));
  }

  private embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimension);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      const digest = createHash('sha256').update(word).digest();
      for (let i = 0; i < this.dimension; i++) vector[i] = (vector[i] ?? 0) + ((digest[i % digest.length] ?? 0) / 127.5 - 1);
    }
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }
}
