import type { Embedder } from '../../src/index.js';
import { hashText } from './clustered-vectors.js';

/**
 * A sparse embedding: a hashed bag of words. Each lower-cased word adds ±1 to
 * one dimension (both chosen by a hash of the word), and the sum is
 * unit-normalized, so a text of w words has at most w non-zero dimensions out
 * of `dimension`. Cosine then counts shared words: the shape of a sparse or
 * keyword-like embedder, the hard case for a sign-bit sketch (the sign of a
 * zero says nothing).
 */
export class HashedWords {
  constructor(readonly dimension: number) {}

  vectorOfText(text: string): Float32Array {
    const out = new Float32Array(this.dimension);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      const h = hashText(word);
      const i = h % this.dimension;
      out[i] = (out[i] as number) + (h & 0x8000_0000 ? -1 : 1);
    }
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += (out[i] as number) ** 2;
    const inverse = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * inverse;
    return out;
  }
}

/** HashedWords for stored texts and queries alike, as an Embedder. */
export class HashedWordsEmbedder implements Embedder {
  readonly id: string;
  private readonly words: HashedWords;

  constructor(readonly dimension: number) {
    this.id = `bench/hashed-words-${dimension}`;
    this.words = new HashedWords(dimension);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.words.vectorOfText(t));
  }
}
