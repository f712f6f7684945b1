import { typedArrayBytes } from './heap-bytes.js';
import { topK } from './top-k.js';

/** The ScopeVectors object: 24 + 8 per field (see KEYWORD_OBJECT_BYTES). */
const VECTORS_OBJECT_BYTES = 72;

/**
 * A scope's vectors, held in memory so vector search needs no SQL at all:
 * exact cosine over every vector for small scopes; for large ones a first pass
 * over sign bits (1 bit per dimension, scored against the full query) picks
 * the C likeliest candidates and only those are scored exactly.
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
   * first. With `candidates` (and a sketch), only that many slots picked by
   * sign bits are scored; otherwise all.
   */
  nearest(query: Float32Array, k: number, alive: Uint8Array, size: number, candidates?: number): { slot: number; distance: number }[] {
    const inverse = inverseNorm(query, this.dimension);
    let slots: number[] = [];
    if (this.bits && candidates !== undefined && candidates < size) slots = this.signCandidates(query, candidates, alive, size);
    else for (let slot = 0; slot < size; slot++) if (alive[slot] === 1) slots.push(slot);
    const similarity = new Float64Array(slots.length);
    const order = new Array<number>(slots.length);
    for (let j = 0; j < slots.length; j++) {
      similarity[j] = 1 - this.distance(slots[j] as number, query, inverse);
      order[j] = j;
    }
    return topK(order, similarity, k).map(({ slot: j, score }) => ({ slot: slots[j] as number, distance: 1 - score }));
  }

  /**
   * The `c` alive slots whose sign bits best agree with `query`, scored
   * asymmetrically: Σ query[i] · (bit i ? 1 : −1), so the query keeps its
   * magnitudes and only the stored side is compressed. (Symmetric Hamming
   * distance between sign bits found 0.44 of the true top 10 at 10k vectors
   * for queries unlike the stored texts; this finds 0.95, at C = 400.) A table
   * per stored byte turns the sum into one lookup per 8 dimensions.
   */
  private signCandidates(query: Float32Array, c: number, alive: Uint8Array, size: number): number[] {
    const words = this.bitBytes >> 2;
    const bits = new Uint32Array((this.bits as Uint8Array).buffer);
    const table = byteTables(query, this.dimension, this.bitBytes);
    // Scores lie within ±Σ|query[i]|: bucket them, then walk the histogram down to the cut.
    let bound = 0;
    for (let i = 0; i < this.dimension; i++) bound += Math.abs(query[i] as number);
    // Bucket 0 stays empty: it marks retired slots.
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
    // The cut bucket is taken whole: a few more than c candidates, never fewer.
    let cut = BUCKETS - 1;
    for (let above = 0; cut > 1 && (above += histogram[cut] as number) < c; ) cut--;
    const out: number[] = [];
    for (let slot = 0; slot < size; slot++) if ((buckets[slot] as number) >= cut) out.push(slot);
    return out;
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

