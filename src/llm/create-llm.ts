import { z } from 'zod';
import { LlamaCppLlm } from './llama-cpp-llm.js';
import { isLlm, type Llm } from './llm.js';

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

export const LlmOptionSchema = z.union([
  LlmConfigSchema,
  z.custom<Llm>(isLlm, { error: 'must be { model: "<file.gguf>" }, an Llm (id, complete), or null' }),
  z.null(),
]);

/** An Llm from a config (the file is checked when `checkNow`), the given instance, or none. */
export function createLlm(option: LlmConfig | Llm | null, checkNow: boolean): { llm: Llm | undefined; owned: boolean } {
  if (option === null) return { llm: undefined, owned: false };
  if (isLlm(option)) return { llm: option, owned: false };
  const llm = new LlamaCppLlm(option);
  if (checkNow) llm.assertModelFile();
  return { llm, owned: true };
}
