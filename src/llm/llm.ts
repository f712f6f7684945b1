/** One message of a chat prompt. */
export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** A JSON Schema (the subset llama.cpp grammars support: objects, arrays, strings, enums, const, oneOf). */
export type JsonSchema = { readonly [key: string]: unknown };

export type LlmRequest = {
  messages: ChatMessage[];
  /** The output must match this schema; real models are constrained by a grammar built from it. */
  schema: JsonSchema;
  /** Upper bound on generated tokens. */
  maxTokens?: number | undefined;
};

/**
 * A language model behind one narrow call. `complete` returns the raw text
 * the model produced; Engram parses and validates it itself, so an
 * implementation (or a scripted test double) may return anything.
 */
export interface Llm {
  /** Names the model, e.g. the GGUF file name. */
  readonly id: string;
  complete(request: LlmRequest): Promise<string>;
  /** Releases the model, if the Llm holds one. */
  dispose?(): Promise<void>;
}

export function isLlm(value: unknown): value is Llm {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.id === 'string' && candidate.id.length > 0 && typeof candidate.complete === 'function';
}
