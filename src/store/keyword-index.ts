import { topK, type SlotScore } from './top-k.js';

/** FTS5's BM25 parameters (its defaults), so both keyword paths weigh terms alike. */
const K1 = 1.2;
const B = 0.75;

/**
 * An in-memory inverted index over one scope's current memories, ranked by
 * BM25 exactly as FTS5's bm25() computes it, but with the scope's own
 * statistics (document count, lengths, term frequencies). FTS5 must score every
 * match in the whole file before a scope filter applies; here a query touches
 * only the postings of its terms inside the scope.
 *
 * Documents are slots (numbers); the owner says which slots are still alive.
 */
export class KeywordIndex {
  /** term → [slot, tf, slot, tf, …], slots ascending. */
  private readonly postings = new Map<string, number[]>();
  private lengths = new Uint16Array(1024);
  private scores = new Float64Array(1024);
  private aliveLength = 0;
  private postingTotal = 0;

  /** Adds a document: its terms, one entry per occurrence. */
  add(slot: number, terms: readonly string[]): void {
    this.ensure(slot);
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    this.postingTotal += counts.size;
    for (const [term, tf] of counts) {
      const list = this.postings.get(term);
      if (list) list.push(slot, tf);
      else this.postings.set(term, [slot, tf]);
    }
    const length = Math.min(terms.length, 0xffff);
    this.lengths[slot] = length;
    this.aliveLength += length;
  }

  /** A document left the scope (its slot is no longer alive). */
  remove(slot: number): void {
    this.aliveLength -= this.lengths[slot] ?? 0;
  }

  /** Postings held, for memory accounting. */
  get postingCount(): number {
    return this.postingTotal;
  }

  /**
   * The `k` best alive documents for the (already tokenized) query terms,
   * best first; ties by slot. BM25 as in FTS5: idf = ln((N − df + 0.5) / (df + 0.5)),
   * at least 1e-6; tf·(k1 + 1) / (tf + k1·(1 − b + b·dl/avgdl)).
   */
  top(terms: readonly string[], k: number, alive: Uint8Array, aliveCount: number): SlotScore[] {
    if (aliveCount === 0 || k <= 0) return [];
    const avgLength = this.aliveLength / aliveCount;
    const scores = this.scores;
    const touched: number[] = [];
    for (const term of new Set(terms)) {
      const list = this.postings.get(term);
      if (!list) continue;
      let df = 0;
      for (let i = 0; i < list.length; i += 2) df += alive[list[i] as number] as number;
      if (df === 0) continue;
      const idf = Math.max(1e-6, Math.log((aliveCount - df + 0.5) / (df + 0.5)));
      for (let i = 0; i < list.length; i += 2) {
        const slot = list[i] as number;
        if (alive[slot] === 0) continue;
        const tf = list[i + 1] as number;
        const norm = K1 * (1 - B + (B * (this.lengths[slot] as number)) / avgLength);
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] = (scores[slot] as number) + (idf * tf * (K1 + 1)) / (tf + norm);
      }
    }
    const best = topK(touched, scores, k);
    for (const slot of touched) scores[slot] = 0;
    return best;
  }

  private ensure(slot: number): void {
    if (slot < this.lengths.length) return;
    const size = Math.max(slot + 1, this.lengths.length * 2);
    const lengths = new Uint16Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
    this.scores = new Float64Array(size);
  }
}
