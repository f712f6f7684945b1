import { tool, type Tool } from 'ai';
import { z } from 'zod';
import { LIMITS, ScopeSchema, type AddOptions, type Memory, type SearchOptions } from '../index.js';
import { parseOptions, passThrough, requireScope } from './integration-options.js';

export const EngramToolsOptionsSchema = ScopeSchema.extend({
  /** Memory.search's options for searchMemory (limit, threshold, filters, mode…). @default { limit: 5 } */
  search: passThrough<SearchOptions>('search').default({ limit: 5 }),
  /** Memory.add's options for addMemory (infer, wait, metadata, kind). @default Memory.add's defaults */
  add: passThrough<AddOptions>('add').default({}),
});
export type EngramToolsOptions = z.input<typeof EngramToolsOptionsSchema>;

// The model gives only what it knows: a query, a text. Strict: an argument naming a scope is refused, not ignored.
const SearchInputSchema = z.strictObject({
  query: z.string().min(1).max(LIMITS.maxTextLength).describe('What to look for, in plain words, e.g. "food preferences"'),
});
const AddInputSchema = z.strictObject({
  text: z.string().min(1).max(LIMITS.maxTextLength).describe('The fact to remember, as one short sentence about the user, e.g. "Is allergic to penicillin"'),
});

/** What searchMemory tells the model: the best memories, each with since when it holds. */
export type SearchMemoryOutput = { memories: { id: string; memory: string; score: number; since: string }[] };
/** What addMemory tells the model: what changed in memory, or that the add was queued (`wait: false`). */
export type AddMemoryOutput = { changes: { event: 'ADD' | 'UPDATE' | 'DELETE' | 'NONE'; memory: string }[] } | { queued: true };
/** An AI SDK tool with its execute function. */
type ExecutableTool<I, O> = Tool<I, O> & { execute: NonNullable<Tool<I, O>['execute']> };
export type EngramTools = {
  searchMemory: ExecutableTool<z.infer<typeof SearchInputSchema>, SearchMemoryOutput>;
  addMemory: ExecutableTool<z.infer<typeof AddInputSchema>, AddMemoryOutput>;
};

/**
 * Two AI SDK tools over one scope's memories: `searchMemory` (the model gives
 * a query) and `addMemory` (the model gives a fact). The scope is fixed here,
 * by the app; no tool argument can reach another scope's memories.
 * @example
 * const { text } = await generateText({ model, tools: engramTools(memory, { userId: 'alice' }), prompt });
 */
export function engramTools(memory: Pick<Memory, 'search' | 'add'>, options: EngramToolsOptions): EngramTools {
  const opts = parseOptions(EngramToolsOptionsSchema, options, 'options');
  const scope = requireScope(opts, 'engramTools');
  return {
    searchMemory: tool({
      description: "Search the long-term memory about the user: facts, preferences and past conversations. Use it when an answer may depend on what the user said before.",
      inputSchema: SearchInputSchema,
      execute: async ({ query }): Promise<SearchMemoryOutput> => {
        const { results } = await memory.search(query, { ...opts.search, ...scope });
        return { memories: results.map((m) => ({ id: m.id, memory: m.memory, score: m.score, since: m.validFrom })) };
      },
    }),
    addMemory: tool({
      description: 'Remember a fact about the user for later conversations (a preference, a plan, something about their life). One fact per call.',
      inputSchema: AddInputSchema,
      execute: async ({ text }): Promise<AddMemoryOutput> => {
        const outcome = await memory.add([{ role: 'user', content: text }], { ...opts.add, ...scope });
        return 'jobId' in outcome ? { queued: true } : { changes: outcome.results.map((e) => ({ event: e.event, memory: e.memory })) };
      },
    }),
  };
}
