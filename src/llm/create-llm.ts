import { z } from 'zod';
import { LlamaCppLlm } from './llama-cpp-llm.js';
import { isLlm, type Llm } from './llm.js';
import { OpenAiCompatibleLlm, OpenAiCompatibleLlmOptionsSchema } from './openai-compatible-llm.js';

export const LlmConfigSchema = z.strictObject({
  /** Path of a local GGUF file. */
  model: z.string().min(1),
  contextSize: z.number().int().min(512).max(131_072).optional(),
  threads: z.number().int().min(1).max(256).optional(),
  maxTokens: z.number().int().min(16).max(8192).optional(),
  temperature: z.number().min(0).max(2).optional(),
  seed: z.number().int().min(0).optional(),
});
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

/** An OpenAI-compatible server on this machine (Ollama, LM Studio, llama-server), as `new OpenAiCompatibleLlm(...)` takes it. */
export const OpenAiCompatibleLlmConfigSchema = z.strictObject({ openaiCompatible: OpenAiCompatibleLlmOptionsSchema });
export type OpenAiCompatibleLlmConfig = z.infer<typeof OpenAiCompatibleLlmConfigSchema>;

export const LlmOptionSchema = z.union([
  LlmConfigSchema,
  OpenAiCompatibleLlmConfigSchema,
  z.custom<Llm>(isLlm, { error: 'must be { model: "<file.gguf>" }, { openaiCompatible: { baseUrl, model } }, an Llm (id, complete), or null' }),
  z.null(),
]);

/** An Llm from a config (a GGUF file is checked when `checkNow`; a server is not called until the first inferring add), the given instance, or none. */
export function createLlm(option: LlmConfig | OpenAiCompatibleLlmConfig | Llm | null, checkNow: boolean): { llm: Llm | undefined; owned: boolean } {
  if (option === null) return { llm: undefined, owned: false };
  if (isLlm(option)) return { llm: option, owned: false };
  if ('openaiCompatible' in option) return { llm: new OpenAiCompatibleLlm(option.openaiCompatible), owned: true };
  const llm = new LlamaCppLlm(option);
  if (checkNow) llm.assertModelFile();
  return { llm, owned: true };
}
