import { KEYWORD_OBJECT_BYTES, mapBytes, stringBytes, typedArrayBytes } from './heap-bytes.js';
import { topK, type SlotScore } from './top-k.js';

/** FTS5's BM25 parameters (its defaults), so both keyword paths weigh terms alike. */
const K1 = 1.2;
const B = 0.75;

/**
 * From this many slots a scope keeps its score array between queries (8 bytes
 * a slot, counted); smaller ones allocate it per query, which is cheaper than
 * holding an array per cached scope. Measured: a fresh Float64Array per query
 * took keywordTop's median at 100,000 slots from 0.03 to 0.13 ms.
 */
const SCORES_KEPT_FROM = 4_096;


/**
 * An in-memory inverted index over one scope's current memories, ranked by
 * BM25 exactly as FTS5's bm25() computes it, but with the scope's own
 * statistics (document count, lengths, term frequencies). FTS5 must score every
 * match in the whole file before a scope filter applies; here a query touches
 * only the postings of its terms inside the scope.
 *
 * Documents are slots (numbers); the owner says which slots are still alive.
 *
 * Postings live in one Int32Array (`pool`), each term's in its own run of
 * it, rather than in one JS array per term: a JS array costs 8 bytes per
 * number plus up to 16 spare elements once it grows, and nothing can say how
 * much it really holds. Here every byte held is a typed array's or the term
 * dictionary's, so `bytes` is close to what the process holds.
 */
export class KeywordIndex {
  /** term → its id (an index into `runs`). The map keeps the term strings. */
  private readonly termIds = new Map<string, number>();
  /** Heap bytes of the term strings `termIds` keeps. */
  private termStringBytes = 0;
  /** Per term id, three ints: where its run starts in `pool`, ints used, ints reserved. */
  private runs = new Int32Array(0);
  /** Pairs (slot, tf), slots ascending within each term's run. */
  private pool = new Int32Array(0);
  /** Ints of `pool` handed out to runs (including abandoned ones). */
  private poolUsed = 0;
  /** Ints of `pool` left behind when a run moved to a larger place; reclaimed by `compact`. */
  private poolAbandoned = 0;
  private docLengths = new Uint16Array(0);
  /** A query's score per slot, all 0 between queries; kept only for large scopes (see SCORES_KEPT_FROM). */
  private scores: Float64Array | undefined;
  private aliveLength = 0;
  private postingTotal = 0;

  /** Bytes held: typed arrays, the term dictionary and its strings. */
  get bytes(): number {
    return (
      KEYWORD_OBJECT_BYTES +
      typedArrayBytes(this.runs) +
      typedArrayBytes(this.pool) +
      typedArrayBytes(this.docLengths) +
      (this.scores ? typedArrayBytes(this.scores) : 0) +
      mapBytes(this.termIds.size) +
      this.termStringBytes
    );
  }

  /** Postings held. */
  get postingCount(): number {
    return this.postingTotal;
  }

  /** Room for documents in slots below `capacity` (the owner decides how it grows). */
  reserve(capacity: number): void {
    if (capacity <= this.docLengths.length) return;
    const lengths = new Uint16Array(capacity);
    lengths.set(this.docLengths);
    this.docLengths = lengths;
    // Allocated here, not on a query, so `bytes` only changes when the owner grows the index.
    this.scores = capacity >= SCORES_KEPT_FROM ? new Float64Array(capacity) : undefined;
  }

  /**
   * Adds documents in slots `firstSlot`, `firstSlot + 1`, …: their terms, one
   * entry per occurrence. Slots must be above every slot added before.
   */
  addAll(firstSlot: number, docs: readonly (readonly string[])[]): void {
    this.reserve(firstSlot + docs.length);
    // Per document, its distinct terms' ids and frequencies, in first-occurrence order.
    const ids: number[][] = [];
    const tfs: number[][] = [];
    for (const terms of docs) {
      const counts = new Map<string, number>();
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      const docIds: number[] = [];
      for (const term of counts.keys()) docIds.push(this.termIds.get(term) ?? this.newTerm(term));
      ids.push(docIds);
      tfs.push([...counts.values()]);
    }
    this.makeRoom(ids);
    const pool = this.pool;
    const runs = this.runs;
    docs.forEach((terms, i) => {
      const slot = firstSlot + i;
      const docIds = ids[i] as number[];
      const docTfs = tfs[i] as number[];
      this.postingTotal += docIds.length;
      for (let j = 0; j < docIds.length; j++) {
        const r = 3 * (docIds[j] as number);
        const at = (runs[r] as number) + (runs[r + 1] as number);
        pool[at] = slot;
        pool[at + 1] = docTfs[j] as number;
        runs[r + 1] = (runs[r + 1] as number) + 2;
      }
      const length = Math.min(terms.length, 0xffff);
      this.docLengths[slot] = length;
      this.aliveLength += length;
    });
  }

  /** A document left the scope (its slot is no longer alive). */
  remove(slot: number): void {
    this.aliveLength -= this.docLengths[slot] ?? 0;
  }

  /**
   * Moves every run next to the previous one, dropping abandoned space; with
   * `tight`, also each run's spare room (after a full build, when no more
   * growth is expected soon).
   */
  compact(tight: boolean): void {
    const runs = this.runs;
    const terms = this.termIds.size;
    let live = 0;
    for (let t = 0; t < terms; t++) live += tight ? (runs[3 * t + 1] as number) : (runs[3 * t + 2] as number);
    const pool = new Int32Array(live);
    let at = 0;
    for (let t = 0; t < terms; t++) {
      const start = runs[3 * t] as number;
      const used = runs[3 * t + 1] as number;
      const reserved = tight ? used : (runs[3 * t + 2] as number);
      pool.set(this.pool.subarray(start, start + used), at);
      runs[3 * t] = at;
      runs[3 * t + 2] = reserved;
      at += reserved;
    }
    this.pool = pool;
    this.poolUsed = at;
    this.poolAbandoned = 0;
    if (tight && this.runs.length > 3 * terms) this.runs = this.runs.slice(0, 3 * terms);
  }

  /**
   * The `k` best alive documents for the (already tokenized) query terms,
   * best first; ties by slot. BM25 as in FTS5: idf = ln((N − df + 0.5) / (df + 0.5)),
   * at least 1e-6; tf·(k1 + 1) / (tf + k1·(1 − b + b·dl/avgdl)).
   */
  top(terms: readonly string[], k: number, alive: Uint8Array, aliveCount: number): SlotScore[] {
    if (aliveCount === 0 || k <= 0) return [];
    const avgLength = this.aliveLength / aliveCount;
    const scores = this.scores ?? new Float64Array(this.docLengths.length);
    const touched: number[] = [];
    const pool = this.pool;
    for (const term of new Set(terms)) {
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const start = this.runs[3 * id] as number;
      const end = start + (this.runs[3 * id + 1] as number);
      let df = 0;
      for (let i = start; i < end; i += 2) df += alive[pool[i] as number] as number;
      if (df === 0) continue;
      const idf = Math.max(1e-6, Math.log((aliveCount - df + 0.5) / (df + 0.5)));
      for (let i = start; i < end; i += 2) {
        const slot = pool[i] as number;
        if (alive[slot] === 0) continue;
        const tf = pool[i + 1] as number;
        const norm = K1 * (1 - B + (B * (this.docLengths[slot] as number)) / avgLength);
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] = (scores[slot] as number) + (idf * tf * (K1 + 1)) / (tf + norm);
      }
    }
    const best = topK(touched, scores, k);
    if (scores === this.scores) for (const slot of touched) scores[slot] = 0;
    return best;
  }

  /**
   * Gives every term the documents `ids` name a run with room for their
   * postings: a new term gets exactly that; a full run moves to the end of the
   * pool with at least twice its room, so a term that keeps appearing moves
   * O(log n) times.
   */
  private makeRoom(ids: readonly (readonly number[])[]): void {
    const incoming = new Int32Array(this.termIds.size);
    const terms: number[] = [];
    for (const docIds of ids) {
      for (const id of docIds) {
        if (incoming[id] === 0) terms.push(id);
        incoming[id] = (incoming[id] as number) + 2;
      }
    }
    const runs = this.runs;
    const moves: [id: number, reserved: number][] = [];
    let needed = 0;
    for (const id of terms) {
      const used = runs[3 * id + 1] as number;
      const reserved = runs[3 * id + 2] as number;
      const ints = incoming[id] as number;
      if (used + ints <= reserved) continue;
      const grown = reserved === 0 ? ints : Math.max(used + ints, 2 * reserved);
      moves.push([id, grown]);
      needed += grown;
    }
    if (moves.length === 0) return;
    if (this.poolUsed + needed > this.pool.length && this.poolAbandoned * 2 > this.poolUsed) this.compact(false);
    this.growPool(this.poolUsed + needed);
    for (const [id, reserved] of moves) {
      const start = runs[3 * id] as number;
      const used = runs[3 * id + 1] as number;
      this.pool.copyWithin(this.poolUsed, start, start + used);
      this.poolAbandoned += runs[3 * id + 2] as number;
      runs[3 * id] = this.poolUsed;
      runs[3 * id + 2] = reserved;
      this.poolUsed += reserved;
    }
  }

  private newTerm(term: string): number {
    const id = this.termIds.size;
    if (3 * id + 3 > this.runs.length) {
      const runs = new Int32Array(Math.max(3 * id + 3, Math.floor(this.runs.length * 1.5)));
      runs.set(this.runs);
      this.runs = runs;
    }
    this.termIds.set(term, id);
    this.termStringBytes += stringBytes(term);
    return id;
  }

  /** Room for `needed` ints: exact for the first batch, then 1.5× steps. */
  private growPool(needed: number): void {
    if (needed <= this.pool.length) return;
    const length = this.pool.length === 0 ? needed : Math.max(needed, Math.floor(this.pool.length * 1.5));
    const pool = new Int32Array(length);
    pool.set(this.pool.subarray(0, this.poolUsed));
    this.pool = pool;
  }
}
