import { mapBytes, typedArrayBytes } from './heap-bytes.js';
import { KeywordIndex } from './keyword-index.js';
import { inverseNorm, ScopeVectors } from './scope-vectors.js';

/**
 * The ScopeIndex object: 24 + 8 per field (see keyword-index.ts). The sum of
 * all constants was checked against 20,000 synthetic one-memory indexes and
 * three of 20,000 memories (npm run bench:index-memory -- --calibrate).
 */
const INDEX_OBJECT_BYTES = 88;

/** Below this many slots a scope is cheap to keep whatever it wastes; above, retired slots outnumbering living ones mean a rebuild. */
const REBUILD_MIN_SLOTS = 64;

/**
 * One scope's current memories, indexed in memory for search: an inverted
 * index for keywords, and the vectors (once a vector search needs them). Entries
 * are slots; a slot holds one memory version (seq) until it stops being
 * current. The index only proposes candidates: the store confirms each one in
 * SQL, and reports versions no longer current back (`retire`).
 *
 * Everything per slot lives in typed arrays sized by the index: exactly the
 * memories of the first build, then growing by half (`reserve`). `bytes`
 * counts their whole length, used or not, so the cache's budget is what the
 * process holds.
 */
export class ScopeIndex {
  /** Seq per slot, ascending (slots are added in seq order), so `slotOf` is a binary search, not a map. */
  private seqs = new Float64Array(0);
  private count = 0;
  private aliveFlags = new Uint8Array(0);
  private alive = 0;
  private readonly keyword = new KeywordIndex();
  private scopeVectors: ScopeVectors | undefined;
  /** The highest seq seen: newer rows are what a catch-up reads. */
  maxSeq = 0;
  /** The change token (see SearchIndexes) the index was last brought up to date at. */
  checkedAt = '';
  /** When each living slot that expires does (ms), by seq: most memories never expire, so a map, made when one does. */
  private expiries: Map<number, number> | undefined;
  /** The earliest of `expiries`. */
  private nextExpiry = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.count;
  }

  get aliveCount(): number {
    return this.alive;
  }

  /** The vectors, once a vector search has loaded them. */
  get vectors(): ScopeVectors | undefined {
    return this.scopeVectors;
  }

  /** Retired slots outnumber living ones: cheaper to rebuild than to keep holding and scanning them. */
  get wasteful(): boolean {
    return this.count >= REBUILD_MIN_SLOTS && this.alive * 2 < this.count;
  }

  /** Bytes held (typed arrays at their full length, the term dictionary, the objects), for the cache's budget. */
  get bytes(): number {
    return (
      INDEX_OBJECT_BYTES +
      typedArrayBytes(this.seqs) +
      typedArrayBytes(this.aliveFlags) +
      this.keyword.bytes +
      (this.scopeVectors?.bytes ?? 0) +
      (this.expiries ? mapBytes(this.expiries.size) : 0)
    );
  }

  /**
   * Adds current memory versions, seqs ascending and above every seq added
   * before, with their terms; they take the next slots.
   */
  addAll(seqs: readonly number[], terms: readonly (readonly string[])[]): void {
    const first = this.count;
    this.reserve(first + seqs.length);
    for (const seq of seqs) {
      if (seq <= this.maxSeq) throw new Error(`seq ${seq} added after ${this.maxSeq}: slots must follow seq order`);
      this.seqs[this.count] = seq;
      this.aliveFlags[this.count] = 1;
      this.count++;
      this.alive++;
      this.maxSeq = seq;
    }
    this.keyword.addAll(first, terms);
  }

  /** A version just added expires at `at` (ms). */
  expiresAt(seq: number, at: number): void {
    this.expiries ??= new Map();
    this.expiries.set(seq, at);
    this.nextExpiry = Math.min(this.nextExpiry, at);
  }

  /**
   * Retires the versions that expired by `now`: no read may see them, and
   * proposing them would only cost the search another round (see retire).
   */
  retireExpired(now: number): void {
    if (now < this.nextExpiry || !this.expiries) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [seq, at] of this.expiries) {
      if (at <= now) {
        this.retire(seq);
        this.expiries.delete(seq);
      } else next = Math.min(next, at);
    }
    this.nextExpiry = next;
  }

  /** A first build is done: spare room in the postings goes (slot arrays were sized exactly). */
  trim(): void {
    this.keyword.compact(true);
  }

  /** The version stopped being current (closed or deleted): it is never proposed again. */
  retire(seq: number): void {
    const slot = this.slotOf(seq);
    if (slot === undefined || this.aliveFlags[slot] === 0) return;
    this.aliveFlags[slot] = 0;
    this.alive--;
    this.keyword.remove(slot);
  }

  slotOf(seq: number): number | undefined {
    const seqs = this.seqs;
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = seqs[mid] as number;
      if (at === seq) return mid;
      if (at < seq) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  seqOf(slot: number): number {
    return this.seqs[slot] as number;
  }

  /** Starts holding vectors, with room for every slot; the caller fills them (`vectors.set`). */
  startVectors(dimension: number, minSketchDimension: number): ScopeVectors {
    this.scopeVectors = new ScopeVectors(dimension, minSketchDimension, this.seqs.length);
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
    return vectors.nearest(query, k, this.aliveFlags, this.count, candidates).map(({ slot, distance }) => ({ seq: this.seqOf(slot), distance }));
  }

  /** Exact cosine distances from `query` to these versions (those the index holds). */
  vectorDistances(query: Float32Array, seqs: Iterable<number>): Map<number, number> {
    const vectors = this.scopeVectors;
    const out = new Map<number, number>();
    if (!vectors) return out;
    const inverse = inverseNorm(query, vectors.dimension);
    for (const seq of seqs) {
      const slot = this.slotOf(seq);
      if (slot !== undefined) out.set(seq, vectors.distance(slot, query, inverse));
    }
    return out;
  }

  /** Room for `slots` slots in every per-slot array: exact when empty (a first build), else at least half again, so growth stays amortized. */
  private reserve(slots: number): void {
    const capacity = this.seqs.length;
    if (slots <= capacity) return;
    const grown = capacity === 0 ? slots : Math.max(slots, capacity + (capacity >> 1));
    const seqs = new Float64Array(grown);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const flags = new Uint8Array(grown);
    flags.set(this.aliveFlags);
    this.aliveFlags = flags;
    this.keyword.reserve(grown);
    this.scopeVectors?.reserve(grown);
  }
}
