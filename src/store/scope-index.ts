import { KeywordIndex } from './keyword-index.js';
import { inverseNorm, ScopeVectors } from './scope-vectors.js';

/**
 * One scope's current memories, indexed in memory for search: an inverted
 * index for keywords, and the vectors (once a vector search needs them). Entries
 * are slots; a slot holds one memory version (seq) until it stops being
 * current. The index only proposes candidates: the store confirms each one in
 * SQL, and reports versions no longer current back (`retire`).
 */
export class ScopeIndex {
  private seqs: number[] = [];
  private readonly slots = new Map<number, number>();
  private aliveFlags = new Uint8Array(1024);
  private alive = 0;
  private readonly keyword = new KeywordIndex();
  private scopeVectors: ScopeVectors | undefined;
  /** The highest seq seen: newer rows are what a catch-up reads. */
  maxSeq = 0;
  /** The change token (see SearchIndexes) the index was last brought up to date at. */
  checkedAt = '';

  get size(): number {
    return this.seqs.length;
  }

  get aliveCount(): number {
    return this.alive;
  }

  /** The vectors, once a vector search has loaded them. */
  get vectors(): ScopeVectors | undefined {
    return this.scopeVectors;
  }

  /** Retired slots outnumber living ones: cheaper to rebuild than to keep scanning them. */
  get wasteful(): boolean {
    return this.seqs.length > 1_000 && this.alive * 2 < this.seqs.length;
  }

  /** Rough bytes held, for the cache's budget. */
  get bytes(): number {
    return this.seqs.length * (8 + 1 + 2 + 40) + this.keyword.postingCount * 16 + (this.scopeVectors ? this.seqs.length * this.scopeVectors.bytesPerVector : 0);
  }

  /** Adds a current memory version with its terms; returns its slot. */
  add(seq: number, terms: readonly string[]): number {
    const slot = this.seqs.length;
    this.seqs.push(seq);
    this.slots.set(seq, slot);
    if (slot >= this.aliveFlags.length) {
      const flags = new Uint8Array(this.aliveFlags.length * 2);
      flags.set(this.aliveFlags);
      this.aliveFlags = flags;
    }
    this.aliveFlags[slot] = 1;
    this.alive++;
    this.keyword.add(slot, terms);
    this.maxSeq = Math.max(this.maxSeq, seq);
    return slot;
  }

  /** The version stopped being current (closed or deleted): it is never proposed again. */
  retire(seq: number): void {
    const slot = this.slots.get(seq);
    if (slot === undefined || this.aliveFlags[slot] === 0) return;
    this.aliveFlags[slot] = 0;
    this.alive--;
    this.keyword.remove(slot);
  }

  slotOf(seq: number): number | undefined {
    return this.slots.get(seq);
  }

  seqOf(slot: number): number {
    return this.seqs[slot] as number;
  }

  /** Starts holding vectors; the caller fills them (`vectors.set`) for every slot. */
  startVectors(dimension: number, minSketchDimension: number): ScopeVectors {
    this.scopeVectors = new ScopeVectors(dimension, minSketchDimension, this.seqs.length + 1024);
    return this.scopeVectors;
  }

  /** The best `k` current versions for already tokenized query terms (BM25, scope statistics). */
  keywordTop(terms: readonly string[], k: number): { seq: number; bm25: number }[] {
    return this.keyword.top(terms, k, this.aliveFlags, this.alive).map(({ slot, score }) => ({ seq: this.seqOf(slot), bm25: score }));
  }

  /**
   * The `k` current versions nearest to `query`, with exact cosine distances,
   * best first: all vectors scored, or (`candidates`, when sketched) only that
   * many picked by sign bits.
   */
  vectorNearest(query: Float32Array, k: number, candidates?: number): { seq: number; distance: number }[] {
    const vectors = this.scopeVectors;
    if (!vectors) throw new Error('vectorNearest needs the vectors loaded');
    return vectors.nearest(query, k, this.aliveFlags, this.seqs.length, candidates).map(({ slot, distance }) => ({ seq: this.seqOf(slot), distance }));
  }

  /** Exact cosine distances from `query` to these versions (those the index holds). */
  vectorDistances(query: Float32Array, seqs: Iterable<number>): Map<number, number> {
    const vectors = this.scopeVectors;
    const out = new Map<number, number>();
    if (!vectors) return out;
    const inverse = inverseNorm(query, vectors.dimension);
    for (const seq of seqs) {
      const slot = this.slots.get(seq);
      if (slot !== undefined) out.set(seq, vectors.distance(slot, query, inverse));
    }
    return out;
  }
}
