/**
 * Hugging Face `tokenizers` JSON files (tokenizer.json + tokenizer_config.json) for
 * BERT-style tokenizers, in the same layout the hub's files use, so transformers.js
 * (and Python `tokenizers`) load them without special cases.
 *
 * Note: transformers.js has no dedicated "WordLevel" model; it falls back to its
 * "Legacy" vocabulary lookup, which takes the unknown token from
 * tokenizer_config.json's `unk_token` — so that field is required there.
 */

export interface SpecialTokens {
  readonly pad: string;
  readonly unk: string;
  readonly cls?: string;
  readonly sep?: string;
  readonly mask?: string;
}

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** Static-embedding tokenizer: whole words only, anything else → unk. `[CLS]` is prepended if given. */
export function wordLevelTokenizerJson(vocab: readonly string[], special: SpecialTokens): Json {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab, special),
    normalizer: bertNormalizer(true),
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: special.cls ? prefixTemplate(vocab, special.cls) : null,
    decoder: null,
    model: { type: 'WordLevel', vocab: vocabObject(vocab), unk_token: special.unk },
  };
}

/** bert-base-uncased style WordPiece tokenizer: `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`. */
export function wordPieceTokenizerJson(vocab: readonly string[], special: Required<SpecialTokens>): Json {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab, special),
    // strip_accents null = "follow lowercase", exactly as bert-base-uncased ships it.
    normalizer: bertNormalizer(null),
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: bertTemplate(vocab, special.cls, special.sep),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: special.unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: vocabObject(vocab),
    },
  };
}

/**
 * tokenizer_config.json; `tokenizerClass` picks the transformers.js class (BertTokenizer
 * also returns token_type_ids). `stripAccents` mirrors the normalizer (null = follow lowercase).
 */
export function tokenizerConfigJson(special: SpecialTokens, tokenizerClass: string, modelMaxLength: number, stripAccents: boolean | null): Json {
  const tokens: Record<string, string> = { pad_token: special.pad, unk_token: special.unk };
  if (special.cls) tokens['cls_token'] = special.cls;
  if (special.sep) tokens['sep_token'] = special.sep;
  if (special.mask) tokens['mask_token'] = special.mask;
  return {
    ...tokens,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    model_max_length: modelMaxLength,
    strip_accents: stripAccents,
    tokenize_chinese_chars: true,
    tokenizer_class: tokenizerClass,
  };
}

function bertNormalizer(stripAccents: boolean | null): Json {
  return { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: stripAccents, lowercase: true };
}

function vocabObject(vocab: readonly string[]): Record<string, number> {
  // Null prototype: words like "constructor" or "__proto__" must be plain keys.
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  vocab.forEach((token, id) => {
    if (Object.hasOwn(out, token)) throw new Error(`duplicate vocabulary entry "${token}"`);
    out[token] = id;
  });
  return out;
}

function idOf(vocab: readonly string[], token: string): number {
  const id = vocab.indexOf(token);
  if (id < 0) throw new Error(`special token ${token} is not in the vocabulary`);
  return id;
}

function addedTokens(vocab: readonly string[], special: SpecialTokens): Json[] {
  const tokens = [special.pad, special.unk, special.cls, special.sep, special.mask].filter((t): t is string => t !== undefined);
  return tokens
    .map((content) => ({ id: idOf(vocab, content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((x, y) => x.id - y.id);
}

function specialTokenEntry(vocab: readonly string[], token: string): Json {
  return { id: token, ids: [idOf(vocab, token)], tokens: [token] };
}

function prefixTemplate(vocab: readonly string[], cls: string): Json {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [cls]: specialTokenEntry(vocab, cls) },
  };
}

function bertTemplate(vocab: readonly string[], cls: string, sep: string): Json {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
    pair: [
      { SpecialToken: { id: cls, type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: sep, type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } },
      { SpecialToken: { id: sep, type_id: 1 } },
    ],
    special_tokens: { [cls]: specialTokenEntry(vocab, cls), [sep]: specialTokenEntry(vocab, sep) },
  };
}
