/**
 * The `tokenizer.*` metadata of a GGUF file: the vocabulary embedded in the model.
 *
 * Two tokenizer models are covered:
 * - `llama`: SentencePiece. Pieces use "▁" for a space, a score per piece drives the
 *   merges, and text that no piece covers falls back to the 256 `<0xNN>` byte tokens.
 * - `gpt2`: byte-level BPE (Qwen, Llama 3). Tokens are in the GPT-2 byte-to-unicode
 *   alphabet ("Ġ" = space), merges are "left right" strings in priority order, and
 *   `tokenizer.ggml.pre` names the pre-tokenizer regex llama.cpp should use.
 *
 * Token types are llama.cpp's `llama_token_type`; CONTROL tokens (e.g. <|im_end|>)
 * are only produced from text when special-token parsing is on, which is how chat
 * wrappers insert them.
 */
import { gguf, type GgufValue } from './gguf-values.js';

export const TokenType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

interface VocabularyBase {
  readonly tokens: readonly string[];
  /** One TokenType per token. */
  readonly types: Int32Array;
  readonly bosId?: number;
  readonly eosId: number;
  readonly padId?: number;
  readonly addBos: boolean;
}

export interface SentencePieceVocabulary extends VocabularyBase {
  readonly model: 'llama';
  readonly scores: Float32Array;
  readonly unknownId: number;
  /** SentencePiece normally prepends "▁" to the text; ChatML prompts must not get one. */
  readonly addSpacePrefix: boolean;
}

export interface BytePairVocabulary extends VocabularyBase {
  readonly model: 'gpt2';
  /** llama.cpp pre-tokenizer name, e.g. "qwen2". */
  readonly pre: string;
  readonly merges: readonly string[];
}

export type GgufVocabulary = SentencePieceVocabulary | BytePairVocabulary;

export function tokenizerMetadata(vocab: GgufVocabulary, chatTemplate: string): Array<[string, GgufValue]> {
  checkVocabulary(vocab);
  const entries: Array<[string, GgufValue]> = [[`tokenizer.ggml.model`, gguf.str(vocab.model)]];
  if (vocab.model === 'gpt2') entries.push(['tokenizer.ggml.pre', gguf.str(vocab.pre)]);
  entries.push(['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)]);
  if (vocab.model === 'llama') entries.push(['tokenizer.ggml.scores', gguf.f32s(vocab.scores)]);
  entries.push(['tokenizer.ggml.token_type', gguf.i32s(vocab.types)]);
  if (vocab.model === 'gpt2') entries.push(['tokenizer.ggml.merges', gguf.strings(vocab.merges)]);
  if (vocab.bosId !== undefined) entries.push(['tokenizer.ggml.bos_token_id', gguf.u32(vocab.bosId)]);
  entries.push(['tokenizer.ggml.eos_token_id', gguf.u32(vocab.eosId)]);
  if (vocab.model === 'llama') entries.push(['tokenizer.ggml.unknown_token_id', gguf.u32(vocab.unknownId)]);
  if (vocab.padId !== undefined) entries.push(['tokenizer.ggml.padding_token_id', gguf.u32(vocab.padId)]);
  entries.push(['tokenizer.ggml.add_bos_token', gguf.bool(vocab.addBos)]);
  if (vocab.model === 'llama') {
    entries.push(['tokenizer.ggml.add_eos_token', gguf.bool(false)], ['tokenizer.ggml.add_space_prefix', gguf.bool(vocab.addSpacePrefix)]);
  }
  entries.push(['tokenizer.chat_template', gguf.str(chatTemplate)]);
  return entries;
}

function checkVocabulary(vocab: GgufVocabulary): void {
  const n = vocab.tokens.length;
  if (vocab.types.length !== n) throw new Error(`${vocab.types.length} token types for ${n} tokens`);
  if (vocab.model === 'llama' && vocab.scores.length !== n) throw new Error(`${vocab.scores.length} scores for ${n} tokens`);
  for (const id of [vocab.bosId, vocab.eosId, vocab.padId]) {
    if (id !== undefined && (id < 0 || id >= n)) throw new Error(`special token id ${id} is outside the vocabulary (${n})`);
  }
}
