/**
 * ONNX graph of a BERT sequence classifier (BertForSequenceClassification, what a
 * cross-encoder reranker is), in fp32 or dynamic int8: the encoder of
 * bert-encoder-graph.ts with the pooler and classification head on top.
 *
 *   pooler:      last_hidden_state[:, 0] ([CLS]) → dense → tanh
 *   classifier:  dense → logits [batch, num_labels]
 *
 * `[:, 0]` is a Gather with a scalar index on axis 1, as torch.onnx exports it. In 'q8'
 * both dense layers are MatMulInteger, as `quantize_dynamic` leaves them.
 */
import { addBertEncoder, BERT_TOKEN_AXES, type BertPrecision } from './bert-encoder-graph.js';
import type { BertWeights, Linear } from './bert-random-weights.js';
import { GraphBuilder } from './onnx-graph-builder.js';
import { OnnxType, type OnnxGraph } from './onnx-writer.js';
import { SeededRandom } from './seeded-random.js';

/** BertPooler + the classifier of BertForSequenceClassification. */
export interface BertClassifierHead {
  /** hidden → hidden, followed by tanh. */
  readonly pooler: Linear;
  /** hidden → num_labels. */
  readonly classifier: Linear;
}

/**
 * Random head weights: N(0, 1/hidden) matrices (LeCun scale, not BERT's 0.02) and zero
 * biases, so the logits of a random model spread over about ±1 like a trained
 * cross-encoder's do, instead of collapsing to ±0.03.
 */
export function randomClassifierHead(hidden: number, labels: number, seed: number): BertClassifierHead {
  const random = new SeededRandom(seed);
  const std = 1 / Math.sqrt(hidden);
  const linear = (inputs: number, outputs: number): Linear => ({
    inputs,
    outputs,
    weight: random.fillNormal(new Float32Array(inputs * outputs), std),
    bias: new Float32Array(outputs),
  });
  return { pooler: linear(hidden, hidden), classifier: linear(hidden, labels) };
}

export function buildBertClassifierGraph(weights: BertWeights, head: BertClassifierHead, precision: BertPrecision): OnnxGraph {
  if (head.pooler.inputs !== weights.shape.hidden || head.classifier.inputs !== head.pooler.outputs) {
    throw new Error('classifier head does not fit the encoder (hidden sizes differ)');
  }
  const g = new GraphBuilder(`bert_sequence_classifier_${precision}`);
  const encoder = addBertEncoder(g, weights, precision);
  const pooled = g.scope('pooler', () => {
    const cls = g.op('Gather', [encoder.lastHiddenState, g.constInt64('cls_index', [0], [])], { axis: 1 }); // [B, hidden]
    return g.op('Tanh', [g.scope('dense', () => encoder.linear(cls, head.pooler))]);
  });
  const logits = g.scope('classifier', () => encoder.linear(pooled, head.classifier));
  g.output(logits, 'logits', OnnxType.FLOAT, [BERT_TOKEN_AXES[0], head.classifier.outputs]);
  return g.build();
}
