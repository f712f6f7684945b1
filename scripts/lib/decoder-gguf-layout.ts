/**
 * Tensor names, shapes and hyperparameter keys of a llama-family decoder (the
 * `llama` and `qwen2` architectures of llama.cpp), so the tiny test model and the
 * Qwen2.5-shaped bench model describe themselves the same way llama.cpp expects.
 *
 * Shapes are in ggml order, [ne0, ne1] = [inputs, outputs]: each row holds the
 * weights of one output and is contiguous, so quantization blocks run along the
 * input dimension. That is why widths must be multiples of 32 for Q4_0/Q8_0.
 */
import { gguf, type GgufValue } from './gguf-values.js';

export type DecoderArchitecture = 'llama' | 'qwen2';

export interface DecoderShape {
  readonly vocabSize: number;
  /** n_embd */
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  /** Grouped-query attention: K/V heads shared by heads / kvHeads query heads. */
  readonly kvHeads: number;
  readonly feedForward: number;
  readonly contextLength: number;
  readonly ropeFreqBase: number;
  readonly rmsNormEps: number;
  /** Qwen2 has biases on the Q, K and V projections; llama has none. */
  readonly attentionBias: boolean;
  /** No `output.weight`: llama.cpp then reuses `token_embd.weight` as the output layer. */
  readonly tiedEmbeddings: boolean;
}

/** What a tensor is for, so a model can pick its type and initialisation per kind. */
export type TensorKind = 'embedding' | 'output' | 'norm' | 'bias' | 'attention' | 'feedForward';

export interface TensorSlot {
  readonly name: string;
  readonly kind: TensorKind;
  /** ggml order: [ne0 (row length), ne1 (rows)] */
  readonly shape: readonly number[];
}

export function headDim(shape: DecoderShape): number {
  return shape.hidden / shape.heads;
}

/** `<arch>.*` hyperparameters; llama.cpp reads the head dimension from hidden / heads. */
export function decoderMetadata(arch: DecoderArchitecture, shape: DecoderShape): Array<[string, GgufValue]> {
  const entries: Array<[string, GgufValue]> = [
    [`${arch}.context_length`, gguf.u32(shape.contextLength)],
    [`${arch}.embedding_length`, gguf.u32(shape.hidden)],
    [`${arch}.block_count`, gguf.u32(shape.layers)],
    [`${arch}.feed_forward_length`, gguf.u32(shape.feedForward)],
    [`${arch}.attention.head_count`, gguf.u32(shape.heads)],
    [`${arch}.attention.head_count_kv`, gguf.u32(shape.kvHeads)],
    [`${arch}.rope.freq_base`, gguf.f32(shape.ropeFreqBase)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(shape.rmsNormEps)],
  ];
  // convert_hf_to_gguf writes these two for llama only; qwen2 files go without.
  if (arch === 'llama') {
    entries.push([`${arch}.rope.dimension_count`, gguf.u32(headDim(shape))], [`${arch}.vocab_size`, gguf.u32(shape.vocabSize)]);
  }
  return entries;
}

/** All tensors, in the order convert_hf_to_gguf writes them. */
export function decoderTensorSlots(shape: DecoderShape): TensorSlot[] {
  const { hidden, vocabSize } = shape;
  const slots: TensorSlot[] = [{ name: 'token_embd.weight', kind: 'embedding', shape: [hidden, vocabSize] }];
  for (let layer = 0; layer < shape.layers; layer++) slots.push(...layerSlots(shape, layer));
  slots.push({ name: 'output_norm.weight', kind: 'norm', shape: [hidden] });
  if (!shape.tiedEmbeddings) slots.push({ name: 'output.weight', kind: 'output', shape: [hidden, vocabSize] });
  return slots;
}

function layerSlots(shape: DecoderShape, layer: number): TensorSlot[] {
  const { hidden, feedForward } = shape;
  const kvWidth = headDim(shape) * shape.kvHeads;
  const name = (suffix: string): string => `blk.${layer}.${suffix}`;
  const bias = (suffix: string, width: number): TensorSlot[] =>
    shape.attentionBias ? [{ name: name(`${suffix}.bias`), kind: 'bias', shape: [width] }] : [];
  return [
    { name: name('attn_norm.weight'), kind: 'norm', shape: [hidden] },
    { name: name('attn_q.weight'), kind: 'attention', shape: [hidden, hidden] },
    ...bias('attn_q', hidden),
    { name: name('attn_k.weight'), kind: 'attention', shape: [hidden, kvWidth] },
    ...bias('attn_k', kvWidth),
    { name: name('attn_v.weight'), kind: 'attention', shape: [hidden, kvWidth] },
    ...bias('attn_v', kvWidth),
    { name: name('attn_output.weight'), kind: 'attention', shape: [hidden, hidden] },
    { name: name('ffn_norm.weight'), kind: 'norm', shape: [hidden] },
    { name: name('ffn_gate.weight'), kind: 'feedForward', shape: [hidden, feedForward] },
    { name: name('ffn_up.weight'), kind: 'feedForward', shape: [hidden, feedForward] },
    { name: name('ffn_down.weight'), kind: 'feedForward', shape: [feedForward, hidden] },
  ];
}

export function parameterCount(slots: readonly TensorSlot[]): number {
  return slots.reduce((sum, slot) => sum + slot.shape.reduce((n, d) => n * d, 1), 0);
}
