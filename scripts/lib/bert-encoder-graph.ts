/**
 * ONNX graph of a BERT encoder (the BertModel forward pass that optimum exports for
 * feature extraction), in fp32 or in ONNX Runtime's dynamic-int8 form.
 *
 *   embeddings:  Gather(word) + Slice(position)[0:S] + Gather(token type) → LayerNorm
 *   mask:        (1 − mask[:, None, None, :]) · float32.min, added to attention scores
 *   each layer:  self-attention (12 heads) → Add + LayerNorm → GELU FFN → Add + LayerNorm
 *   output:      last_hidden_state [batch, seq, hidden]
 *
 * The GELU is written as the erf formula that PyTorch exports (Div, Erf, Add, Mul, Mul)
 * so ONNX Runtime fuses it like in a real export. In 'q8', every weight MatMul becomes
 * DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scale) — the pattern
 * `onnxruntime.quantization.quantize_dynamic` writes, which ORT fuses at load time —
 * and the word-embedding table is int8 + DequantizeLinear, as in published
 * `model_quantized.onnx` files.
 */
import type { BertShape, BertWeights, BertLayerWeights, LayerNormWeights, Linear } from './bert-random-weights.js';
import { float, GraphBuilder } from './onnx-graph-builder.js';
import { floatTensor, int8Tensor, OnnxType, type OnnxGraph } from './onnx-writer.js';
import { quantizePerTensor } from './int8-quantize.js';

export type BertPrecision = 'fp32' | 'q8';

/** What PyTorch uses for masked positions (torch.finfo(torch.float32).min). */
const FLOAT32_MIN = -3.4028234663852886e38;

export function buildBertEncoderGraph(weights: BertWeights, precision: BertPrecision): OnnxGraph {
  const g = new GraphBuilder(`bert_encoder_${precision}`);
  const encoder = addBertEncoder(g, weights, precision);
  g.output(encoder.lastHiddenState, 'last_hidden_state', OnnxType.FLOAT, [...BERT_TOKEN_AXES, weights.shape.hidden]);
  return g.build();
}

/** The dynamic axes of every BERT input: [batch_size, sequence_length]. */
export const BERT_TOKEN_AXES = ['batch_size', 'sequence_length'] as const;

/** A BERT encoder added to a graph: its output, and its dense layer for heads built on top. */
export interface BertEncoderNodes {
  /** [batch, seq, hidden] */
  readonly lastHiddenState: string;
  /** y = x·W + b in the encoder's precision (int8 MatMulInteger in 'q8'), for heads on top of the encoder. */
  linear(input: string, lin: Linear): string;
}

/**
 * Adds the inputs (input_ids, attention_mask, token_type_ids) and the encoder layers to
 * `g`; the caller declares the outputs. Used alone for feature extraction, and under a
 * classification head for cross-encoders (scripts/lib/bert-classifier-graph.ts).
 */
export function addBertEncoder(g: GraphBuilder, weights: BertWeights, precision: BertPrecision): BertEncoderNodes {
  const inputIds = g.input('input_ids', OnnxType.INT64, BERT_TOKEN_AXES);
  const attentionMask = g.input('attention_mask', OnnxType.INT64, BERT_TOKEN_AXES);
  const tokenTypeIds = g.input('token_type_ids', OnnxType.INT64, BERT_TOKEN_AXES);

  const ops = new BertOps(g, weights.shape, precision);
  let hidden = g.scope('embeddings', () => ops.embeddings(weights, inputIds, tokenTypeIds));
  const maskBias = g.scope('extended_attention_mask', () => ops.attentionMaskBias(attentionMask));
  weights.layers.forEach((layer, i) => {
    hidden = g.scope(`encoder/layer.${i}`, () => ops.layer(layer, hidden, maskBias));
  });
  return { lastHiddenState: hidden, linear: (input, lin) => ops.linear(input, lin) };
}

class BertOps {
  private readonly headSize: number;
  /** q8: one DynamicQuantizeLinear per activation, shared by its consumers (Q, K and V), as quantize_dynamic does. */
  private readonly quantizedActivations = new Map<string, readonly [string, string, string]>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly shape: BertShape,
    private readonly precision: BertPrecision,
  ) {
    this.headSize = shape.hidden / shape.heads;
    if (!Number.isInteger(this.headSize)) throw new Error(`hidden ${shape.hidden} is not divisible by ${shape.heads} heads`);
  }

  embeddings(w: BertWeights, inputIds: string, tokenTypeIds: string): string {
    const { g, shape } = this;
    const words = this.embeddingLookup(w.wordEmbeddings, shape.vocabSize, inputIds);
    // Positions 0..S-1: slice the table to the sequence length taken from input_ids.
    const positionTable = g.initializer(floatTensor('position_embeddings.weight', [shape.maxPositions, shape.hidden], w.positionEmbeddings));
    const seqLen = g.op('Slice', [g.op('Shape', [inputIds]), g.constInt64('seq_dim_start', [1]), g.constInt64('seq_dim_end', [2])]);
    const positions = g.op('Slice', [positionTable, g.constInt64('zero', [0]), seqLen, g.constInt64('axis0', [0])]);
    const typeTable = g.initializer(floatTensor('token_type_embeddings.weight', [shape.typeVocabSize, shape.hidden], w.tokenTypeEmbeddings));
    const types = g.op('Gather', [typeTable, tokenTypeIds], { axis: 0 });
    const sum = g.op('Add', [g.op('Add', [words, types]), positions]);
    return g.scope('LayerNorm', () => this.layerNorm(sum, w.embeddingNorm));
  }

  /** [B, S] int64 mask → [B, 1, 1, S] float bias: 0 where attended, float32.min where padded. */
  attentionMaskBias(attentionMask: string): string {
    const { g } = this;
    const expanded = g.op('Unsqueeze', [attentionMask, g.constInt64('axes', [1, 2])]);
    const inverted = g.op('Sub', [g.constFloat('one', [1]), g.op('Cast', [expanded], { to: OnnxType.FLOAT })]);
    return g.op('Mul', [inverted, g.constFloat('float32_min', [FLOAT32_MIN])]);
  }

  layer(w: BertLayerWeights, input: string, maskBias: string): string {
    const { g } = this;
    const attended = g.scope('attention', () => {
      const context = g.scope('self', () => this.selfAttention(w, input, maskBias));
      return g.scope('output', () => {
        const projected = g.scope('dense', () => this.linear(context, w.attentionOutput));
        return g.scope('LayerNorm', () => this.layerNorm(g.op('Add', [projected, input]), w.attentionNorm));
      });
    });
    const activated = g.scope('intermediate', () => this.gelu(g.scope('dense', () => this.linear(attended, w.intermediate))));
    return g.scope('output', () => {
      const projected = g.scope('dense', () => this.linear(activated, w.output));
      return g.scope('LayerNorm', () => this.layerNorm(g.op('Add', [projected, attended]), w.outputNorm));
    });
  }

  private selfAttention(w: BertLayerWeights, input: string, maskBias: string): string {
    const { g, shape, headSize } = this;
    const splitHeads = g.constInt64('split_heads_shape', [0, 0, shape.heads, headSize]);
    const heads = (lin: Linear, name: string, perm: number[]): string =>
      g.op('Transpose', [g.op('Reshape', [g.scope(name, () => this.linear(input, lin)), splitHeads])], { perm });

    const query = heads(w.query, 'query', [0, 2, 1, 3]); // [B, H, S, d]
    const keyT = heads(w.key, 'key', [0, 2, 3, 1]); // [B, H, d, S]
    const value = heads(w.value, 'value', [0, 2, 1, 3]); // [B, H, S, d]

    const scores = g.op('Div', [g.op('MatMul', [query, keyT]), g.constFloat('sqrt_head_size', [Math.sqrt(headSize)])]);
    const probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: -1 });
    const context = g.op('Transpose', [g.op('MatMul', [probs, value])], { perm: [0, 2, 1, 3] }); // [B, S, H, d]
    return g.op('Reshape', [context, g.constInt64('merge_heads_shape', [0, 0, shape.hidden])]);
  }

  linear(input: string, lin: Linear): string {
    const { g } = this;
    const bias = g.initializer(floatTensor('bias', [lin.outputs], lin.bias));
    if (this.precision === 'fp32') {
      const weight = g.initializer(floatTensor('weight', [lin.inputs, lin.outputs], lin.weight));
      return g.op('Add', [g.op('MatMul', [input, weight]), bias]);
    }
    const q = quantizePerTensor(lin.weight);
    const weight = g.initializer(int8Tensor('weight_quantized', [lin.inputs, lin.outputs], q.q));
    const weightScale = g.constFloat('weight_scale', [q.scale]);
    const weightZeroPoint = g.initializer(int8Tensor('weight_zero_point', [], new Int8Array(1)));
    const [inputQ, inputScale, inputZeroPoint] = this.quantizeActivation(input);
    const accumulated = g.op('MatMulInteger', [inputQ, weight, inputZeroPoint, weightZeroPoint]);
    const scale = g.op('Mul', [inputScale, weightScale]);
    const dequantized = g.op('Mul', [g.op('Cast', [accumulated], { to: OnnxType.FLOAT }), scale]);
    return g.op('Add', [dequantized, bias]);
  }

  private quantizeActivation(input: string): readonly [string, string, string] {
    const cached = this.quantizedActivations.get(input);
    if (cached) return cached;
    const [q, scale, zeroPoint] = this.g.opN('DynamicQuantizeLinear', [input], 3);
    if (!q || !scale || !zeroPoint) throw new Error('unreachable');
    const outputs = [q, scale, zeroPoint] as const;
    this.quantizedActivations.set(input, outputs);
    return outputs;
  }

  private layerNorm(input: string, w: LayerNormWeights): string {
    const { g, shape } = this;
    const gamma = g.initializer(floatTensor('weight', [shape.hidden], w.gamma));
    const beta = g.initializer(floatTensor('bias', [shape.hidden], w.beta));
    return g.op('LayerNormalization', [input, gamma, beta], { axis: -1, epsilon: float(shape.layerNormEps) });
  }

  /** gelu(x) = x · 0.5 · (1 + erf(x / √2)), in PyTorch's export order. */
  private gelu(x: string): string {
    const { g } = this;
    const erf = g.op('Erf', [g.op('Div', [x, g.constFloat('sqrt2', [Math.SQRT2])])]);
    const onePlus = g.op('Add', [erf, g.constFloat('one', [1])]);
    return g.op('Mul', [g.op('Mul', [x, onePlus]), g.constFloat('half', [0.5])]);
  }

  /** Gather rows of an embedding table; in q8 the table is int8 with one scale. */
  private embeddingLookup(table: Float32Array, rows: number, ids: string): string {
    const { g, shape } = this;
    if (this.precision === 'fp32') {
      const weight = g.initializer(floatTensor('word_embeddings.weight', [rows, shape.hidden], table));
      return g.op('Gather', [weight, ids], { axis: 0 });
    }
    const q = quantizePerTensor(table);
    const weight = g.initializer(int8Tensor('word_embeddings.weight_quantized', [rows, shape.hidden], q.q));
    const scale = g.constFloat('word_embeddings.scale', [q.scale]);
    const zeroPoint = g.initializer(int8Tensor('word_embeddings.zero_point', [], new Int8Array(1)));
    return g.op('DequantizeLinear', [g.op('Gather', [weight, ids], { axis: 0 }), scale, zeroPoint]);
  }
}
