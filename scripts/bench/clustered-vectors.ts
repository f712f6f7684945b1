/**
 * Deterministic synthetic embeddings with cluster structure, for benchmarks that
 * need many vectors fast (no model run) and still want meaningful neighbours.
 *
 * Each vector is normalize(wMean·mean + wTopic·topic[t] + wSub·sub[t][s] + wNoise·noise):
 * - a shared `mean` direction (real sentence embeddings are anisotropic: unrelated
 *   texts still have cosine ≈ 0.1),
 * - one of `topics` random centroids,
 * - a point on the segment between two of the topic's `subtopicsPerTopic` random offsets
 *   (α·sub[a] + (1−α)·sub[b], α uniform): structure at a finer scale that is a
 *   continuum, not a handful of tight balls, so the k nearest neighbours of a point
 *   are decided by real geometry rather than by noise alone,
 * - isotropic noise.
 * All components are random Gaussian directions of unit expected length. Topic,
 * subtopic and noise are chosen from a 32-bit seed, so the same seed (e.g. a hash of
 * the text) always gives the same vector.
 */
import { seededRandom } from './synthetic-text.js';

export type ClusterSpec = {
  dimension: number;
  topics?: number;
  subtopicsPerTopic?: number;
  /** Seeds the centroids: two generators with the same spec and seed share clusters. */
  seed?: number;
  weights?: { mean: number; topic: number; subtopic: number; noise: number };
};

/**
 * With these weights a query's nearest neighbours look like a real sentence model's
 * (MiniLM-like): at 10k vectors, cosine ≈ 0.64 for the best match, ≈ 0.57 for the
 * 10th, ≈ 0.45 for the 100th, ≈ 0.05–0.1 for unrelated texts.
 */
export const DEFAULT_WEIGHTS = { mean: 0.4, topic: 1, subtopic: 0.7, noise: 1 } as const;
/** Noisier: neighbours stand out less (best ≈ 0.49, 10th ≈ 0.42, 100th ≈ 0.33 at 10k); harder for any approximate search. */
export const HARD_WEIGHTS = { mean: 0.4, topic: 1, subtopic: 0.7, noise: 1.4 } as const;

export class ClusteredVectors {
  readonly dimension: number;
  readonly topics: number;
  readonly subtopicsPerTopic: number;
  private readonly weights: { mean: number; topic: number; subtopic: number; noise: number };
  private readonly mean: Float32Array;
  private readonly topicCentroids: Float32Array[];
  private readonly subtopicOffsets: Float32Array[];

  constructor(spec: ClusterSpec) {
    this.dimension = spec.dimension;
    this.topics = spec.topics ?? 50;
    this.subtopicsPerTopic = spec.subtopicsPerTopic ?? 20;
    this.weights = spec.weights ?? DEFAULT_WEIGHTS;
    const random = seededRandom(spec.seed ?? 20_240_601);
    this.mean = gaussianDirection(this.dimension, random);
    this.topicCentroids = Array.from({ length: this.topics }, () => gaussianDirection(this.dimension, random));
    this.subtopicOffsets = Array.from({ length: this.topics * this.subtopicsPerTopic }, () => gaussianDirection(this.dimension, random));
  }

  /** The unit vector for a 32-bit seed. */
  vector(seed: number): Float32Array {
    const random = seededRandom(seed ^ 0x5bd1e995);
    const topic = Math.floor(random() * this.topics);
    const first = topic * this.subtopicsPerTopic + Math.floor(random() * this.subtopicsPerTopic);
    const second = topic * this.subtopicsPerTopic + Math.floor(random() * this.subtopicsPerTopic);
    const alpha = random();
    const t = this.topicCentroids[topic] as Float32Array;
    const s1 = this.subtopicOffsets[first] as Float32Array;
    const s2 = this.subtopicOffsets[second] as Float32Array;
    const { mean: wm, topic: wt, subtopic: ws, noise: wn } = this.weights;
    // Keep the subtopic part at about unit length whatever α is.
    const mix = ws / Math.sqrt(alpha * alpha + (1 - alpha) * (1 - alpha));
    const w1 = mix * alpha;
    const w2 = mix * (1 - alpha);
    const scale = wn / Math.sqrt(this.dimension);
    const out = new Float32Array(this.dimension);
    const component = (i: number, g: number) =>
      wm * (this.mean[i] as number) + wt * (t[i] as number) + w1 * (s1[i] as number) + w2 * (s2[i] as number) + scale * g;
    for (let i = 0; i < this.dimension; i += 2) {
      const [g0, g1] = gaussianPair(random);
      out[i] = component(i, g0);
      if (i + 1 < this.dimension) out[i + 1] = component(i + 1, g1);
    }
    return normalize(out);
  }

  /** The vector of a text: seeded by a hash of it. */
  vectorOfText(text: string): Float32Array {
    return this.vector(hashText(text));
  }
}

/** FNV-1a, 32 bits, over UTF-16 code units: stable and fast. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A random direction with expected length 1 (each component N(0, 1/d)). */
function gaussianDirection(dimension: number, random: () => number): Float32Array {
  const out = new Float32Array(dimension);
  const scale = 1 / Math.sqrt(dimension);
  for (let i = 0; i < dimension; i += 2) {
    const [g0, g1] = gaussianPair(random);
    out[i] = g0 * scale;
    if (i + 1 < dimension) out[i + 1] = g1 * scale;
  }
  return out;
}

/** Two independent N(0, 1) samples (Box–Muller). */
function gaussianPair(random: () => number): [number, number] {
  const u = 1 - random(); // (0, 1]
  const v = random();
  const r = Math.sqrt(-2 * Math.log(u));
  return [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)];
}

export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
}
