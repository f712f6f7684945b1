/**
 * The tiny test LLM (models/test/llm.gguf): a 2-layer, 64-wide llama-architecture
 * decoder with random weights, a ~1,000-token SentencePiece vocabulary and a ChatML
 * chat template, under 1 MB. Its text means nothing; it exists so tests can run the
 * real node-llama-cpp path (load, chat wrapper, JSON-schema grammar, generation) in
 * milliseconds.
 *
 * Random logits under a grammar would wander through long strings, so the output
 * layer is biased: `<|im_end|>`, `]`, `}` and `"` get high logits, whitespace and byte
 * tokens low ones. Then the grammar's cheapest valid completion wins at every step
 * (e.g. `{"operations": []}`) and generation ends within ~10 tokens.
 *
 * How the bias survives the network: every token embedding has a constant 1 in
 * dimension 0 and small noise elsewhere, and the layers' weights are small, so the
 * final RMS-normalised hidden state always has a large positive dimension 0 (≈ 7.5).
 * Dimension 0 of an output row is therefore a per-token logit offset.
 *
 * Tensor types are mixed on purpose so the file exercises every encoding of the
 * writer: F32 embeddings and norms, F16 output, Q8_0 attention, Q4_0 feed-forward.
 */
import { CHATML_TEMPLATE } from './chat-templates.js';
import { decoderMetadata, decoderTensorSlots, parameterCount, type DecoderShape, type TensorSlot } from './decoder-gguf-layout.js';
import { GgmlType } from './ggml-types.js';
import { encodeTensorData } from './ggml-quantize.js';
import { tokenizerMetadata, TokenType } from './gguf-tokenizer-metadata.js';
import { gguf, type GgufValue } from './gguf-values.js';
import type { GgufFile, GgufTensor } from './gguf-writer.js';
import type { GeneratorId } from './model-folder.js';
import { SeededRandom } from './seeded-random.js';
import { buildTinyVocabulary, IM_END, SPACE, type TinyVocabulary } from './tiny-llm-vocab.js';

export const TEST_LLM_ID: GeneratorId = { generator: 'make-test-models/tiny-llama-gguf', version: 2 };
export const TEST_LLM_NAME = 'engram/test-tiny-llama';

const SEED = 20_250_301;
const WEIGHT_STD = 0.02;
const EMBEDDING_NOISE_STD = 0.05;
const OUTPUT_NOISE_STD = 0.3;
/** Approximate value of the normalised dimension 0 (√64 · 1 / ‖embedding‖). */
const ANCHOR_AFTER_NORM = 7.5;

/** Logit offsets (in logits): the grammar's cheapest completion must win. */
const LOGIT_BIAS: ReadonlyArray<readonly [string, number]> = [
  [IM_END, 12],
  [']', 1],
  ['}', 3],
  ['"', 5],
  // Variety for fuzzing at temperature > 0: some ADDs, and ids that are real aliases.
  ['ADD', 3],
  ['0', 2],
  ['1', 1],
];
const DISCOURAGED_LOGIT = -8;

const TENSOR_TYPES: Readonly<Record<TensorSlot['kind'], GgmlType>> = {
  embedding: GgmlType.F32,
  output: GgmlType.F16,
  norm: GgmlType.F32,
  bias: GgmlType.F32,
  attention: GgmlType.Q8_0,
  feedForward: GgmlType.Q4_0,
};

/** LLAMA_FTYPE_MOSTLY_Q8_0: informational only (the file is mixed). */
const FILE_TYPE_MOSTLY_Q8_0 = 7;

export interface TinyLlm {
  readonly file: GgufFile;
  readonly details: Record<string, unknown>;
}

export function buildTinyLlm(): TinyLlm {
  const vocab = buildTinyVocabulary();
  const shape: DecoderShape = {
    vocabSize: vocab.tokens.length,
    hidden: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    feedForward: 192,
    contextLength: 8192,
    ropeFreqBase: 10_000,
    rmsNormEps: 1e-5,
    attentionBias: false,
    tiedEmbeddings: false,
  };
  const slots = decoderTensorSlots(shape);
  const random = new SeededRandom(SEED);
  // Weights are generated eagerly in slot order so the bytes do not depend on when
  // the writer asks for them.
  const tensors = slots.map((slot): GgufTensor => {
    const type = TENSOR_TYPES[slot.kind];
    const bytes = encodeTensorData(type, tinyWeights(slot, shape, vocab, random), slot.shape[0] ?? 1);
    return { name: slot.name, type, shape: slot.shape, data: () => [bytes] };
  });
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', gguf.str('llama')],
    ['general.name', gguf.str(TEST_LLM_NAME)],
    ['general.file_type', gguf.u32(FILE_TYPE_MOSTLY_Q8_0)],
    ['general.quantization_version', gguf.u32(2)],
    ...decoderMetadata('llama', shape),
    ...tokenizerMetadata(vocab, CHATML_TEMPLATE),
  ]);
  return {
    file: { metadata, tensors },
    details: { architecture: 'llama', shape, parameters: parameterCount(slots), seed: SEED, vocabulary: vocab.tokens.length, logitBias: Object.fromEntries(LOGIT_BIAS) },
  };
}

function tinyWeights(slot: TensorSlot, shape: DecoderShape, vocab: TinyVocabulary, random: SeededRandom): Float32Array {
  const size = slot.shape.reduce((n, d) => n * d, 1);
  switch (slot.kind) {
    case 'norm':
      return new Float32Array(size).fill(1);
    case 'bias':
      return new Float32Array(size);
    case 'embedding':
      return anchoredEmbeddings(shape, random);
    case 'output':
      return biasedOutput(shape, vocab, random);
    default:
      return random.fillNormal(new Float32Array(size), WEIGHT_STD);
  }
}

/** Rows of [1, noise…]: dimension 0 dominates the residual stream in every position. */
function anchoredEmbeddings(shape: DecoderShape, random: SeededRandom): Float32Array {
  const table = random.fillNormal(new Float32Array(shape.vocabSize * shape.hidden), EMBEDDING_NOISE_STD);
  for (let token = 0; token < shape.vocabSize; token++) table[token * shape.hidden] = 1;
  return table;
}

/** Random rows whose dimension 0 carries the per-token logit offset. */
function biasedOutput(shape: DecoderShape, vocab: TinyVocabulary, random: SeededRandom): Float32Array {
  const table = random.fillNormal(new Float32Array(shape.vocabSize * shape.hidden), OUTPUT_NOISE_STD);
  const offsets = logitOffsets(vocab);
  for (let token = 0; token < shape.vocabSize; token++) table[token * shape.hidden] = (offsets[token] ?? 0) / ANCHOR_AFTER_NORM;
  return table;
}

/**
 * Favoured tokens up; down for tokens that would only slow a grammar down (spaces,
 * byte fallbacks, which spell out newlines and indentation) or should never appear.
 */
function logitOffsets(vocab: TinyVocabulary): Float32Array {
  const offsets = new Float32Array(vocab.tokens.length);
  vocab.tokens.forEach((token, id) => {
    const type = vocab.types[id];
    if (type === TokenType.BYTE || type === TokenType.UNKNOWN || type === TokenType.CONTROL || token === SPACE) offsets[id] = DISCOURAGED_LOGIT;
  });
  for (const [token, logit] of LOGIT_BIAS) offsets[vocab.idOf(token)] = logit;
  return offsets;
}
