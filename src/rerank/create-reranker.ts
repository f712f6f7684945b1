import { z } from 'zod';
import { isReranker, type Reranker } from './reranker.js';
import { TransformersReranker } from './transformers-reranker.js';

export const RerankerConfigSchema = z.strictObject({
  /** Path of a local transformers.js cross-encoder folder. */
  model: z.string().min(1),
  dtype: z.enum(['auto', 'fp32', 'q8']).optional(),
  batchSize: z.number().int().min(1).max(512).optional(),
  threads: z.number().int().min(1).max(256).optional(),
});
export type RerankerConfig = z.infer<typeof RerankerConfigSchema>;

export const RerankerOptionSchema = z.union([
  RerankerConfigSchema,
  z.custom<Reranker>(isReranker, { error: 'must be { model: "<folder>" } or a Reranker (id, score)' }),
]);

/** A Reranker from a config, or the given instance as is. */
export function createReranker(option: RerankerConfig | Reranker): { reranker: Reranker; owned: boolean } {
  if (isReranker(option)) return { reranker: option, owned: false };
  return { reranker: new TransformersReranker(option), owned: true };
}
