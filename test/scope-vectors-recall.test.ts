import { describe, expect, it } from 'vitest';
import { ScopeVectors } from '../src/store/scope-vectors.js';
import { sketchCandidates } from '../src/store/search-candidates.js';
import { DEFAULT_SEARCH_INDEX_OPTIONS } from '../src/store/search-indexes.js';
import { seededRandom } from './support/seeded-random.js';

/*
 * A large scope's vector search (a sign-bit first pass, then exact cosines)
 * against exact search over every vector, on vectors built directly: a scope
 * above `sketchMinVectors`, searched as the store searches it (k = 40, the
 * pool of a search for 10, with the store's candidate count).
 */

const DIMENSION = 384;
const SIZE = 4_000;
const K = 40;
const QUERIES = 200;

type Vectors = { stored: () => Float32Array; query: () => Float32Array };

function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Hashed bags of words: each word of a 100-word vocabulary (frequent words
 * more likely) adds ±1 to its own dimension. Texts of 30 words, queries of
 * 12: at most 30 of 384 dimensions are non-zero, and the sign bit of a zero
 * says nothing.
 */
function bagsOfWords(random: () => number): Vectors {
  const dimensions = Array.from({ length: 100 }, () => Math.floor(random() * DIMENSION));
  const signs = Array.from({ length: 100 }, () => (random() < 0.5 ? -1 : 1));
  const bag = (words: number) => {
    const vector = new Float32Array(DIMENSION);
    for (let i = 0; i < words; i++) {
      const word = Math.floor(100 * random() ** 2);
      vector[dimensions[word] as number] = (vector[dimensions[word] as number] as number) + (signs[word] as number);
    }
    return unit(vector);
  };
  return { stored: () => bag(30), query: () => bag(12) };
}

/**
 * Dense vectors with a few outlier dimensions (8 of 384 with six times the
 * spread, as transformer embeddings have): the cosine leans on those few,
 * while a sign bit weighs every dimension alike.
 */
function outlierDimensions(random: () => number): Vectors {
  const vector = () => unit(Float32Array.from({ length: DIMENSION }, (_, i) => gaussian(random) * (i < 8 ? 6 : 1)));
  return { stored: vector, query: vector };
}

/** Mean share of the exact 10 nearest that the store's search finds (a tie with the exact 10th counts as found). */
function recallAt10(make: (random: () => number) => Vectors): { recall: number; sketched: boolean; exactOrder: boolean } {
  const random = seededRandom(20261201);
  const vectors = make(random);
  const scope = new ScopeVectors(DIMENSION, DEFAULT_SEARCH_INDEX_OPTIONS.sketchMinDimension, SIZE);
  for (let slot = 0; slot < SIZE; slot++) scope.set(slot, vectors.stored());
  const sketched = scope.sketch(SIZE);
  const alive = new Uint8Array(SIZE).fill(1);
  let recall = 0;
  let exactOrder = true;
  for (let q = 0; q < QUERIES; q++) {
    const query = vectors.query();
    const exact = scope.nearest(query, K, alive, SIZE);
    const found = scope.nearest(query, K, alive, SIZE, sketchCandidates(K, SIZE));
    const tenth = (exact[9] as { distance: number }).distance;
    recall += found.slice(0, 10).filter((hit) => hit.distance <= tenth + 1e-9).length / 10;
    exactOrder &&= found.map((hit) => hit.slot).join() === exact.map((hit) => hit.slot).join();
  }
  return { recall: recall / QUERIES, sketched, exactOrder };
}

describe('vector search in a scope large enough for the sign-bit pass', () => {
  it('is as large as the store sketches', () => {
    expect(SIZE).toBeGreaterThan(DEFAULT_SEARCH_INDEX_OPTIONS.sketchMinVectors);
    expect(sketchCandidates(K, SIZE)).toBeLessThan(SIZE / 2);
  });

  it('answers a sparse query (hashed bags of words) exactly: the sign bits of zeros say nothing', () => {
    // The sign-bit pass with the store's fixed candidate count found 0.95 of these.
    const { recall, sketched, exactOrder } = recallAt10(bagsOfWords);
    expect(sketched).toBe(true);
    expect(recall).toBe(1);
    expect(exactOrder).toBe(true);
  });

  it('finds ≥ 0.99 of the exact 10 nearest when sign bits rank dense vectors poorly (outlier dimensions)', () => {
    // The fixed candidate count found 0.92 of these: the search has to notice, per query, that the bits mislead.
    const { recall, sketched } = recallAt10(outlierDimensions);
    expect(sketched).toBe(true);
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });
});
