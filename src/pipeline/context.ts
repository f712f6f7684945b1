import type { MemoryItem, ScoredMemory } from '../schema.js';

export type TokenCounter = (text: string) => number;

/** About four characters per token for English with common LLM tokenizers; pass a real counter for exact budgets. */
export const estimateTokens: TokenCounter = (text) => Math.ceil(text.length / 4);

export type PromptContext = { text: string; memories: ScoredMemory[]; tokens: number };

/** A memory with the neighbours it was given (`withNeighbours`) and not shown yet, in the order they were stored. */
function excerpt(memory: ScoredMemory, shown: ReadonlySet<string>): MemoryItem[] {
  const around = memory.neighbours ?? { before: [], after: [] };
  return [...around.before, memory, ...around.after].filter((m) => m === memory || !shown.has(m.id));
}

/**
 * Memories formatted for an LLM prompt, best first, each dated with when it
 * became true, within a token budget: a memory that does not fit is skipped
 * and smaller ones after it may still fit. A memory given with its
 * neighbours is shown with them, one block in the order they were said.
 * No memory, no text (so nothing is injected).
 */
export function formatContext(memories: readonly ScoredMemory[], options: { maxTokens: number; header: string; countTokens: TokenCounter }): PromptContext {
  const lines = [options.header];
  const used: ScoredMemory[] = [];
  const shown = new Set<string>();
  let tokens = options.countTokens(options.header);
  for (const memory of memories) {
    if (shown.has(memory.id)) continue; // already shown as another result's neighbour
    // With neighbours, the memory comes with the turns around it, in the order they were said; if that does not fit, alone.
    const fits = [excerpt(memory, shown), [memory]].map((group) => group.map((m, i) => `${i === 0 ? '- ' : '  '}[${m.validFrom.slice(0, 10)}] ${m.memory.replace(/\s+/gu, ' ')}`).join('\n'));
    const block = fits.find((text) => tokens + options.countTokens(`\n${text}`) <= options.maxTokens);
    if (block === undefined) continue;
    lines.push(block);
    used.push(memory);
    tokens += options.countTokens(`\n${block}`);
    for (const m of block === fits[0] ? excerpt(memory, shown) : [memory]) shown.add(m.id);
  }
  if (used.length === 0) return { text: '', memories: [], tokens: 0 };
  return { text: lines.join('\n'), memories: used, tokens };
}
