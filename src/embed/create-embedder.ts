import { z } from 'zod';
import { isEmbedder, type Embedder } from './embedder.js';
import { OpenAiCompatibleEmbedder, OpenAiCompatibleEmbedderOptionsSchema } from './openai-compatible-embedder.js';
import { TransformersEmbedder } from './transformers-embedder.js';

export const EmbedderConfigSchema = z.strictObject({
  /** Path of a local transformers.js model folder. */
  model: z.string().min(1),
  dtype: z.enum(['auto', 'fp32', 'q8']).optional(),
  batchSize: z.number().int().min(1).max(512).optional(),
  threads: z.number().int().min(1).max(256).optional(),
  pooling: z.enum(['mean', 'cls']).optional(),
  /** Prepended to search queries, as the model was trained (default: the folder's engram.json). */
  queryPrefix: z.string().max(500).optional(),
  /** Prepended to stored texts, as the model was trained (default: the folder's engram.json). */
  documentPrefix: z.string().max(500).optional(),
});
export type EmbedderConfig = z.infer<typeof EmbedderConfigSchema>;

/** An OpenAI-compatible server on this machine (Ollama, LM Studio, llama-server), as `OpenAiCompatibleEmbedder.connect(...)` takes it. */
export const OpenAiCompatibleEmbedderConfigSchema = z.strictObject({ openaiCompatible: OpenAiCompatibleEmbedderOptionsSchema });
export type OpenAiCompatibleEmbedderConfig = z.infer<typeof OpenAiCompatibleEmbedderConfigSchema>;

export const EmbedderOptionSchema = z.union([
  EmbedderConfigSchema,
  OpenAiCompatibleEmbedderConfigSchema,
  z.custom<Embedder>(isEmbedder, { error: 'must be { model: "<folder>" }, { openaiCompatible: { baseUrl, model } } or an Embedder (id, dimension, embed)' }),
]);

/** An Embedder from a config (a server is asked for its dimension now), or the given instance as is. */
export async function createEmbedder(option: EmbedderConfig | OpenAiCompatibleEmbedderConfig | Embedder): Promise<{ embedder: Embedder; owned: boolean }> {
  if (isEmbedder(option)) return { embedder: option, owned: false };
  if ('openaiCompatible' in option) return { embedder: await OpenAiCompatibleEmbedder.connect(option.openaiCompatible), owned: true };
  return { embedder: new TransformersEmbedder(option), owned: true };
}
