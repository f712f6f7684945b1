import type { ScoredMemory } from '../schema.js';

export type TokenCounter = (text: string) => number;

/** About four characters per token for English with common LLM tokenizers; pass a real counter for exact budgets. */
export const estimateTokens: TokenCounter = (text) => Math.ceil(text.length / 4);

export type PromptContext = { text: string; memories: ScoredMemory[]; tokens: number };

/**
 * Memories formatted for an LLM prompt, best first, each dated with when it
 * became true, within a token budget: a memory that does not fit is skipped
 * and smaller ones after it may still fit. No memory, no text (so nothing is
 * injected).
 */
export function formatContext(memories: readonly ScoredMemory[], options: { maxTokens: number; header: string; countTokens: TokenCounter }): PromptContext {
  const lines = [options.header];
  const used: ScoredMemory[] = [];
  let tokens = options.countTokens(options.header);
  for (const memory of memories) {
    const line = `- [${memory.validFrom.slice(0, 10)}] ${memory.memory.replace(/\s+/gu, ' ')}`;
    const cost = options.countTokens(`\n${line}`);
    if (tokens + cost > options.maxTokens) continue;
    lines.push(line);
    used.push(memory);
    tokens += cost;
  }
  if (used.length === 0) return { text: '', memories: [], tokens: 0 };
  return { text: lines.join('\n'), memories: used, tokens };
}
