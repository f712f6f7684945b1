/**
 * Random weights for a BERT encoder of a given shape (default: all-MiniLM-L6-v2's).
 *
 * Same initialisation as BERT's `initializer_range`: N(0, 0.02²) matrices and
 * embeddings, zero biases, LayerNorm γ = 1, β = 0. With that, every LayerNorm output is
 * unit-scale and attention is close to uniform, so activations stay in the range of a
 * trained model and the int8 path sees realistic value ranges.
 */
import { SeededRandom } from './seeded-random.js';

export interface BertShape {
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly maxPositions: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
}

export const MINILM_L6_SHAPE: BertShape = {
  vocabSize: 30_522,
  hidden: 384,
  layers: 6,
  heads: 12,
  intermediate: 1536,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
};

/** y = x·W + b with W stored row-major as [inputs, outputs] (the ONNX MatMul layout). */
export interface Linear {
  readonly inputs: number;
  readonly outputs: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export interface LayerNormWeights {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
}

export interface BertLayerWeights {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attentionOutput: Linear;
  readonly attentionNorm: LayerNormWeights;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly outputNorm: LayerNormWeights;
}

export interface BertWeights {
  readonly shape: BertShape;
  readonly wordEmbeddings: Float32Array;
  readonly positionEmbeddings: Float32Array;
  readonly tokenTypeEmbeddings: Float32Array;
  readonly embeddingNorm: LayerNormWeights;
  readonly layers: readonly BertLayerWeights[];
}

export const INITIALIZER_RANGE = 0.02;

/** `std` defaults to BERT's initializer_range; a tiny model may want a wider one (see bert-cross-encoder-model.ts). */
export function randomBertWeights(shape: BertShape, seed: number, std: number = INITIALIZER_RANGE): BertWeights {
  const random = new SeededRandom(seed);
  const matrix = (size: number): Float32Array => random.fillNormal(new Float32Array(size), std);
  const linear = (inputs: number, outputs: number): Linear => ({
    inputs,
    outputs,
    weight: matrix(inputs * outputs),
    bias: new Float32Array(outputs),
  });
  const layerNorm = (): LayerNormWeights => ({ gamma: new Float32Array(shape.hidden).fill(1), beta: new Float32Array(shape.hidden) });
  const { hidden, intermediate } = shape;

  return {
    shape,
    wordEmbeddings: matrix(shape.vocabSize * hidden),
    positionEmbeddings: matrix(shape.maxPositions * hidden),
    tokenTypeEmbeddings: matrix(shape.typeVocabSize * hidden),
    embeddingNorm: layerNorm(),
    layers: Array.from({ length: shape.layers }, () => ({
      query: linear(hidden, hidden),
      key: linear(hidden, hidden),
      value: linear(hidden, hidden),
      attentionOutput: linear(hidden, hidden),
      attentionNorm: layerNorm(),
      intermediate: linear(hidden, intermediate),
      output: linear(intermediate, hidden),
      outputNorm: layerNorm(),
    })),
  };
}

export function parameterCount(w: BertWeights): number {
  const linearSize = (l: Linear): number => l.weight.length + l.bias.length;
  const normSize = (n: LayerNormWeights): number => n.gamma.length + n.beta.length;
  const layerSize = (l: BertLayerWeights): number =>
    [l.query, l.key, l.value, l.attentionOutput, l.intermediate, l.output].reduce((s, x) => s + linearSize(x), 0) +
    normSize(l.attentionNorm) +
    normSize(l.outputNorm);
  return (
    w.wordEmbeddings.length +
    w.positionEmbeddings.length +
    w.tokenTypeEmbeddings.length +
    normSize(w.embeddingNorm) +
    w.layers.reduce((s, l) => s + layerSize(l), 0)
  );
}
