/**
 * The bench LLM (models/bench/qwen2.5-0.5b-random-q4_0.gguf): the exact shape of
 * Qwen2.5-0.5B-Instruct (qwen2 architecture, 24 layers, 896 wide, 14 query / 2 KV
 * heads, 4,864 FF, 151,936-token tied embeddings, Q/K/V biases, rope θ = 10⁶, 32k
 * context) with random Q4_0 weights, the real Qwen tokenizer and Qwen2.5's chat
 * template. Its answers are noise; its prompt and generation cost per token are the
 * real model's, and it tokenizes prompts exactly as the real model does, which is
 * what benchmarks and prefix-caching checks need.
 *
 * All matrices (token embeddings included) are Q4_0 (~278 MB); norms are 1 and
 * biases small, in F32. Matrices are generated block by block while the file is
 * written (see random-q4-0.ts), each tensor from its own seed, so the bytes do not
 * depend on generation order and the model builds in seconds.
 */
import { QWEN2_5_CHAT_TEMPLATE } from './chat-templates.js';
import { decoderMetadata, decoderTensorSlots, parameterCount, type DecoderShape, type TensorSlot } from './decoder-gguf-layout.js';
import { encodeF32 } from './ggml-quantize.js';
import { GgmlType } from './ggml-types.js';
import { tokenizerMetadata } from './gguf-tokenizer-metadata.js';
import { gguf, type GgufValue } from './gguf-values.js';
import type { GgufFile, GgufTensor } from './gguf-writer.js';
import type { GeneratorId } from './model-folder.js';
import { loadQwen25Vocabulary, QWEN2_5_VOCAB_SIZE } from './qwen-vocabulary.js';
import { randomQ4_0Rows } from './random-q4-0.js';
import { SeededRandom } from './seeded-random.js';

export const BENCH_QWEN_ID: GeneratorId = { generator: 'make-bench-models/qwen2.5-0.5b-random-q4_0', version: 1 };
export const BENCH_QWEN_NAME = 'engram/bench-qwen2.5-0.5b-random-q4_0';

export const QWEN2_5_0_5B_SHAPE: DecoderShape = {
  vocabSize: QWEN2_5_VOCAB_SIZE,
  hidden: 896,
  layers: 24,
  heads: 14,
  kvHeads: 2,
  feedForward: 4864,
  contextLength: 32_768,
  ropeFreqBase: 1_000_000,
  rmsNormEps: 1e-6,
  attentionBias: true,
  tiedEmbeddings: true,
};

const SEED = 52_050;
/** Hugging Face's initializer_range for Qwen2: weights of this RMS keep activations sane. */
const WEIGHT_RMS = 0.02;
/** LLAMA_FTYPE_MOSTLY_Q4_0 */
const FILE_TYPE_MOSTLY_Q4_0 = 2;

export interface BenchQwen {
  readonly file: GgufFile;
  readonly details: Record<string, unknown>;
}

export function buildBenchQwen(projectRoot: string, log: (line: string) => void): BenchQwen {
  const shape = QWEN2_5_0_5B_SHAPE;
  const vocab = loadQwen25Vocabulary(projectRoot);
  log(`Qwen2.5 vocabulary from ${vocab.source}: ${vocab.tokens.length} tokens (padded), ${vocab.merges.length} merges`);
  const slots = decoderTensorSlots(shape);
  const tensors = slots.map((slot, index) => benchTensor(slot, SEED + index));
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', gguf.str('qwen2')],
    ['general.type', gguf.str('model')],
    ['general.name', gguf.str(BENCH_QWEN_NAME)],
    ['general.size_label', gguf.str('0.5B')],
    ['general.file_type', gguf.u32(FILE_TYPE_MOSTLY_Q4_0)],
    ['general.quantization_version', gguf.u32(2)],
    ...decoderMetadata('qwen2', shape),
    ...tokenizerMetadata(vocab, QWEN2_5_CHAT_TEMPLATE),
  ]);
  const parameters = parameterCount(slots);
  log(`qwen2 shape of Qwen2.5-0.5B: ${(parameters / 1e6).toFixed(1)} M parameters, random Q4_0 (seed ${SEED})`);
  return {
    file: { metadata, tensors },
    details: { architecture: 'qwen2', shape, parameters, seed: SEED, weightRms: WEIGHT_RMS, tokenizer: vocab.source, chatTemplate: 'Qwen2.5-Instruct' },
  };
}

function benchTensor(slot: TensorSlot, seed: number): GgufTensor {
  const [rowLength = 1, rows = 1] = slot.shape;
  const random = new SeededRandom(seed);
  switch (slot.kind) {
    case 'norm':
      return { name: slot.name, type: GgmlType.F32, shape: slot.shape, data: () => [encodeF32(new Float32Array(rowLength).fill(1))] };
    case 'bias':
      return { name: slot.name, type: GgmlType.F32, shape: slot.shape, data: () => [encodeF32(random.fillNormal(new Float32Array(rowLength), WEIGHT_RMS))] };
    default:
      return { name: slot.name, type: GgmlType.Q4_0, shape: slot.shape, data: () => randomQ4_0Rows(random, rows, rowLength, WEIGHT_RMS) };
  }
}
