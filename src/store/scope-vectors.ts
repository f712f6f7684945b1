import { typedArrayBytes } from './heap-bytes.js';
import { topK } from './top-k.js';

/** The ScopeVectors object: 24 + 8 per field (see KEYWORD_OBJECT_BYTES). */
const VECTORS_OBJECT_BYTES = 72;

/**
 * A scope's vectors, held in memory so vector search needs no SQL at all:
 * exact cosine over every vector for small scopes; for large ones a first pass
 * over sign bits (1 bit per dimension, scored against the full query) picks
 * the likeliest candidates, C at first and more when the query needs them,
 * and only those are scored exactly. A sparse query (few non-zero
 * dimensions) is scored exactly everywhere, on those dimensions alone.
 *
 * Sign bits say little about low-dimensional vectors (measured with Hamming
 * distance: recall@10 0.92 at 100 dimensions, scripts/experiments/bit-first-pass.ts),
 * so below `minSketchDimension` every search is exact.
 *
 * Room is for exactly `capacity` vectors; the owning index decides how it
 * grows (`reserve`), so a scope of one memory holds one vector, not a block.
 */
export class ScopeVectors {
  /** Bytes of sign bits per vector: whole 32-bit words, so a scan reads four at a time. */
  private readonly bitBytes: number;
  private values: Float32Array;
  /** 1 / |v| per slot; 0 for a zero vector, which is unrelated to everything (distance 1, as sqlite-vec's NULL). */
  private inverseNorms: Float32Array;
  private bits: Uint8Array | undefined;

  constructor(
    readonly dimension: number,
    private readonly minSketchDimension: number,
    capacity: number,
  ) {
    this.bitBytes = Math.ceil(dimension / 32) * 4;
    this.values = new Float32Array(capacity * dimension);
    this.inverseNorms = new Float32Array(capacity);
  }

  /** Bytes held: floats, norms, sign bits (all of the room, used or not). */
  get bytes(): number {
    return VECTORS_OBJECT_BYTES + typedArrayBytes(this.values) + typedArrayBytes(this.inverseNorms) + (this.bits ? typedArrayBytes(this.bits) : 0);
  }

  get sketched(): boolean {
    return this.bits !== undefined;
  }

  /** Room for slots below `capacity`. */
  reserve(capacity: number): void {
    if (capacity <= this.inverseNorms.length) return;
    const values = new Float32Array(capacity * this.dimension);
    values.set(this.values);
    this.values = values;
    const norms = new Float32Array(capacity);
    norms.set(this.inverseNorms);
    this.inverseNorms = norms;
    if (this.bits) {
      const bits = new Uint8Array(capacity * this.bitBytes);
      bits.set(this.bits);
      this.bits = bits;
    }
  }

  set(slot: number, vector: Float32Array): void {
    // A typed array ignores writes past its end: a slot without room would silently read as a zero vector.
    if (slot >= this.inverseNorms.length) throw new Error(`slot ${slot} is beyond the ${this.inverseNorms.length} reserved`);
    const d = this.dimension;
    this.values.set(vector.subarray(0, d), slot * d);
    let norm = 0;
    for (let i = 0; i < d; i++) norm += (vector[i] as number) ** 2;
    this.inverseNorms[slot] = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    if (this.bits) this.setBits(slot);
  }

  /** Starts the sign-bit sketch over the first `size` slots (then kept up to date by `set`); false when the dimension is too low. */
  sketch(size: number): boolean {
    if (this.dimension < this.minSketchDimension) return false;
    this.bits = new Uint8Array(this.inverseNorms.length * this.bitBytes);
    for (let slot = 0; slot < size; slot++) this.setBits(slot);
    return true;
  }

  /** Cosine distance (1 − cosine) from `query` to a slot's vector. */
  distance(slot: number, query: Float32Array, queryInverseNorm: number): number {
    const scale = (this.inverseNorms[slot] as number) * queryInverseNorm;
    return scale === 0 ? 1 : 1 - dot(this.values, slot * this.dimension, query, this.dimension) * scale;
  }

  /**
   * The `k` alive slots nearest to `query` with their exact distances, best
   * first. With `candidates` (and a sketch), the sign-bit pass picks that many
   * to score exactly, and more while the sketch proves a poor guide (see
   * `sketchNearest`); otherwise all are scored. A sparse query is scored
   * exactly over every slot on its non-zero dimensions alone (see `sparseNearest`).
   */
  nearest(query: Float32Array, k: number, alive: Uint8Array, size: number, candidates?: number): { slot: number; distance: number }[] {
    const inverse = inverseNorm(query, this.dimension);
    const dims = nonZeroDimensions(query, this.dimension);
    if (dims.length * 8 <= this.dimension) return this.sparseNearest(query, inverse, dims, k, alive, size);
    if (this.bits && candidates !== undefined && candidates < size) return this.sketchNearest(query, inverse, k, alive, size, candidates);
    const slots: number[] = [];
    for (let slot = 0; slot < size; slot++) if (alive[slot] === 1) slots.push(slot);
    return this.scored(query, inverse, slots, k);
  }

  /** The `k` best of `slots` by exact cosine, with their distances. */
  private scored(query: Float32Array, inverse: number, slots: readonly number[], k: number): { slot: number; distance: number }[] {
    const similarity = new Float64Array(slots.length);
    const order = new Array<number>(slots.length);
    for (let j = 0; j < slots.length; j++) {
      similarity[j] = 1 - this.distance(slots[j] as number, query, inverse);
      order[j] = j;
    }
    return topK(order, similarity, k).map(({ slot: j, score }) => ({ slot: slots[j] as number, distance: 1 - score }));
  }

  /**
   * Exact cosines of every alive slot from the query's non-zero dimensions
   * alone: with at most d / 8 of them, fewer reads than the sign-bit pass
   * (d / 8 table lookups per slot), and no approximation. This is what a
   * sparse embedder (hashed words, a few dimensions per query) needs: its
   * stored vectors are mostly zeros, whose sign bits say nothing. Measured at
   * 384-d with hashed bags of words (npm run bench:scale): sign bits found
   * 0.985 of the exact top 10 at 10k and 0.970 at 100k (ties at the 10th
   * place counted as found), and their scores tie in whole buckets, so up to
   * the whole scope was scored (p95 62 ms at 100k); this: all of it, p95
   * 3 ms at 10k and 13 ms at 100k.
   */
  private sparseNearest(query: Float32Array, inverse: number, dims: readonly number[], k: number, alive: Uint8Array, size: number): { slot: number; distance: number }[] {
    const d = this.dimension;
    const weights = dims.map((i) => query[i] as number);
    const similarity = new Float64Array(size);
    const floor = new RunningFloor(k);
    for (let slot = 0, base = 0; slot < size; slot++, base += d) {
      if (alive[slot] === 0) continue;
      let dot = 0;
      for (let j = 0; j < dims.length; j++) dot += (this.values[base + (dims[j] as number)] as number) * (weights[j] as number);
      const s = dot * (this.inverseNorms[slot] as number) * inverse;
      similarity[slot] = s;
      floor.offer(s);
    }
    // Only slots at or above the k-th best score can be among the best k (ties included, for topK to break by slot).
    const slots: number[] = [];
    for (let slot = 0; slot < size; slot++) if (alive[slot] === 1 && (similarity[slot] as number) >= floor.value) slots.push(slot);
    return topK(slots, similarity, k).map(({ slot, score }) => ({ slot, distance: 1 - score }));
  }

  /**
   * The sign-bit pass, then exact scores of the `c` best by it, and of more
   * while the sketch proves a poor guide. How well sign bits rank varies by
   * query: a query unlike the stored texts has its true neighbours scattered
   * deeper. So each search measures it: a line fitted through (sign-bit
   * score, exact cosine) of the slots scored so far, and the spread around it,
   * give every unscored slot a chance of beating the k-th best found; the cut
   * is lowered until the unscored slots are expected to hold fewer than 2% of
   * the best k (see `deeperCut`). Measured at 384-d, 200 unrelated
   * queries (MiniLM-shaped, against clustered stored vectors; npm run
   * bench:scale): recall@10 against exact KNN 0.991 → 0.999 at 10k (1,800
   * slots scored on average instead of 1,000) and 0.928 → 1.000 at 100k
   * (9,500 instead of 2,000: the vector search's p50 6.9 → 13.3 ms); queries
   * like the stored texts stop after the first `c`. Simulated at 100k:
   * allowing 4% of k scores 30% fewer and finds 0.996; 1%, a third more for
   * 0.999.
   */
  private sketchNearest(query: Float32Array, inverse: number, k: number, alive: Uint8Array, size: number, c: number): { slot: number; distance: number }[] {
    const { buckets, histogram } = this.signBuckets(query, alive, size);
    const order = byBucket(buckets, histogram, size);
    const similarity = new Float64Array(size);
    const floor = new RunningFloor(k);
    // Slots in buckets from `cut` up are taken (a whole bucket at a time: a few more than c, never fewer); `scored` of them are scored.
    let cut = BUCKETS;
    let taken = 0;
    while (cut > 1 && taken < c) taken += histogram[--cut] as number;
    for (let scored = 0; ; ) {
      for (; scored < taken; scored++) {
        const slot = order[scored] as number;
        const s = 1 - this.distance(slot, query, inverse);
        similarity[slot] = s;
        floor.offer(s);
      }
      const deeper = cut > 1 ? deeperCut(histogram, cut, fitLine(order.subarray(0, scored), buckets, similarity), floor.value, k / 50) : cut;
      if (deeper === cut) break;
      while (cut > deeper) taken += histogram[--cut] as number;
    }
    const slots = Array.from(order.subarray(0, taken)).filter((slot) => (similarity[slot] as number) >= floor.value);
    return topK(slots, similarity, k).map(({ slot, score }) => ({ slot, distance: 1 - score }));
  }

  /**
   * Every alive slot's sign-bit score, bucketed: how well its bits agree with
   * `query`, scored asymmetrically: Σ query[i] · (bit i ? 1 : −1), so the
   * query keeps its magnitudes and only the stored side is compressed.
   * (Symmetric Hamming distance between sign bits found 0.44 of the true top
   * 10 at 10k vectors for queries unlike the stored texts; this finds 0.95, at
   * C = 400.) A table per stored byte turns the sum into one lookup per 8
   * dimensions. Scores lie within ±Σ|query[i]|, in buckets 1 (lowest) to
   * BUCKETS − 1; bucket 0 marks retired slots. `histogram[b]` counts slots per bucket.
   */
  private signBuckets(query: Float32Array, alive: Uint8Array, size: number): { buckets: Uint16Array; histogram: Int32Array } {
    const words = this.bitBytes >> 2;
    const bits = new Uint32Array((this.bits as Uint8Array).buffer);
    const table = byteTables(query, this.dimension, this.bitBytes);
    let bound = 0;
    for (let i = 0; i < this.dimension; i++) bound += Math.abs(query[i] as number);
    const scale = bound > 0 ? (BUCKETS - 2) / (2 * bound) : 0;
    const buckets = new Uint16Array(size);
    const histogram = new Int32Array(BUCKETS);
    for (let slot = 0, o = 0; slot < size; slot++, o += words) {
      if (alive[slot] === 0) continue;
      let score = 0;
      // Four stored bytes per read (about twice as fast in V8 as byte by byte).
      for (let w = 0, t = 0; w < words; w++, t += 1024) {
        const x = bits[o + w] as number;
        score +=
          (table[t + (x & 255)] as number) +
          (table[t + 256 + ((x >>> 8) & 255)] as number) +
          (table[t + 512 + ((x >>> 16) & 255)] as number) +
          (table[t + 768 + (x >>> 24)] as number);
      }
      const bucket = 1 + (((score + bound) * scale) | 0);
      buckets[slot] = bucket;
      histogram[bucket] = (histogram[bucket] as number) + 1;
    }
    return { buckets, histogram };
  }

  private setBits(slot: number): void {
    const bits = this.bits as Uint8Array;
    const base = slot * this.dimension;
    for (let j = 0; j < this.bitBytes; j++) {
      let byte = 0;
      for (let b = 0; b < 8; b++) {
        const i = j * 8 + b;
        if (i < this.dimension && (this.values[base + i] as number) > 0) byte |= 1 << b;
      }
      bits[slot * this.bitBytes + j] = byte;
    }
  }
}

/** Σ values[base + i] · query[i], four lanes at a time (about twice as fast in V8 as one). */
function dot(values: Float32Array, base: number, query: Float32Array, dimension: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 3 < dimension; i += 4) {
    a += (values[base + i] as number) * (query[i] as number);
    b += (values[base + i + 1] as number) * (query[i + 1] as number);
    c += (values[base + i + 2] as number) * (query[i + 2] as number);
    d += (values[base + i + 3] as number) * (query[i + 3] as number);
  }
  for (; i < dimension; i++) a += (values[base + i] as number) * (query[i] as number);
  return a + b + c + d;
}

/** Score buckets of the first pass: fine enough that the cut bucket adds few extra candidates. */
const BUCKETS = 8192;

/** Alive slots ordered by bucket, highest first (slot order within a bucket): a counting sort. */
function byBucket(buckets: Uint16Array, histogram: Int32Array, size: number): Int32Array {
  const start = new Int32Array(BUCKETS);
  let alive = 0;
  for (let bucket = BUCKETS - 1; bucket >= 1; bucket--) {
    start[bucket] = alive;
    alive += histogram[bucket] as number;
  }
  const order = new Int32Array(alive);
  for (let slot = 0; slot < size; slot++) {
    const bucket = buckets[slot] as number;
    if (bucket === 0) continue;
    order[start[bucket] as number] = slot;
    start[bucket] = (start[bucket] as number) + 1;
  }
  return order;
}

type Line = { slope: number; intercept: number; spread: number };

/** The least-squares line of exact cosine against sign-bit bucket over `slots`, and the standard deviation around it. */
function fitLine(slots: Int32Array, buckets: Uint16Array, similarity: Float64Array): Line {
  const n = slots.length;
  let meanX = 0;
  let meanY = 0;
  for (const slot of slots) {
    meanX += buckets[slot] as number;
    meanY += similarity[slot] as number;
  }
  meanX /= n;
  meanY /= n;
  let xx = 0;
  let xy = 0;
  let yy = 0;
  for (const slot of slots) {
    const x = (buckets[slot] as number) - meanX;
    const y = (similarity[slot] as number) - meanY;
    xx += x * x;
    xy += x * y;
    yy += y * y;
  }
  // All in one bucket: no slope to read; the spread alone says how far below anything may lie.
  const slope = xx > 0 ? xy / xx : 0;
  const spread = Math.sqrt(Math.max(0, yy - slope * xy) / Math.max(1, n - 2));
  return { slope, intercept: meanY - slope * meanX, spread };
}

/**
 * The highest bucket such that the slots below it are expected to hold fewer
 * than `allowed` slots scoring above `kth`, each slot's exact cosine taken as
 * normal around `line` (`cut` when those below `cut` already are): walked
 * from the lowest bucket up, where chances are smallest.
 */
function deeperCut(histogram: Int32Array, cut: number, line: Line, kth: number, allowed: number): number {
  if (kth === Number.NEGATIVE_INFINITY) return 1; // fewer than k scored: every slot is needed
  let expected = 0;
  for (let bucket = 1; bucket < cut; bucket++) {
    const count = histogram[bucket] as number;
    if (count === 0) continue;
    const mean = line.slope * bucket + line.intercept;
    expected += count * (line.spread > 0 ? normalTail((kth - mean) / line.spread) : mean > kth ? 1 : 0);
    if (expected >= allowed) return bucket;
  }
  return cut;
}

/** P(Z > z) for a standard normal Z (Abramowitz & Stegun 7.1.26, error < 1.5e-7). */
function normalTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The k-th best of the scores offered so far (−∞ until k were), by a min-heap of scores: a cheap floor that most scores fall below. */
class RunningFloor {
  private readonly heap: Float64Array;
  private count = 0;

  constructor(private readonly k: number) {
    this.heap = new Float64Array(Math.max(1, k));
  }

  get value(): number {
    return this.count < this.k ? Number.NEGATIVE_INFINITY : (this.heap[0] as number);
  }

  offer(score: number): void {
    const heap = this.heap;
    if (this.count < this.k) {
      let i = this.count++;
      for (let parent = (i - 1) >> 1; i > 0 && (heap[parent] as number) > score; i = parent, parent = (i - 1) >> 1) heap[i] = heap[parent] as number;
      heap[i] = score;
      return;
    }
    if (this.k === 0 || score <= (heap[0] as number)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.k) break;
      const child = left + 1 < this.k && (heap[left + 1] as number) < (heap[left] as number) ? left + 1 : left;
      if ((heap[child] as number) >= score) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = score;
  }
}

/** The indexes of `vector`'s non-zero dimensions. */
function nonZeroDimensions(vector: Float32Array, dimension: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < dimension; i++) if (vector[i] !== 0) out.push(i);
  return out;
}

export function inverseNorm(vector: Float32Array, dimension: number): number {
  let norm = 0;
  for (let i = 0; i < dimension; i++) norm += (vector[i] as number) ** 2;
  return norm > 0 ? 1 / Math.sqrt(norm) : 0;
}

/**
 * Per stored byte j, table[256·j + m] = Σ over the bits b set in m of
 * query[8j + b] − Σ over the unset ones: a byte's share of the asymmetric score.
 */
function byteTables(query: Float32Array, dimension: number, bytes: number): Float32Array {
  const table = new Float32Array(bytes * 256);
  for (let j = 0; j < bytes; j++) {
    const t = j * 256;
    let none = 0;
    for (let b = 0; b < 8; b++) none -= j * 8 + b < dimension ? (query[j * 8 + b] as number) : 0;
    table[t] = none;
    for (let m = 1; m < 256; m++) {
      const low = 31 - Math.clz32(m & -m); // the lowest set bit of m
      const q = j * 8 + low < dimension ? (query[j * 8 + low] as number) : 0;
      table[t + m] = (table[t + (m & (m - 1))] as number) + 2 * q;
    }
  }
  return table;
}

