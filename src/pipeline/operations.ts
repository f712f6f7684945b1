import { z } from 'zod';
import { EngramError } from '../errors.js';
import type { JsonSchema } from '../llm/llm.js';

/**
 * What the model may say: the reconciliation contract of DESIGN.md. The JSON
 * schema constrains generation (llama.cpp grammar); the zod schema validates
 * the result, because a grammar is not a guarantee (and a scripted Llm can
 * return anything). The two describe the same shape; tests hold them together.
 */
export const OPERATIONS_JSON_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    operations: {
      type: 'array',
      items: {
        oneOf: [
          {
            type: 'object',
            properties: {
              event: { const: 'ADD' },
              text: { type: 'string' },
              kind: { enum: ['semantic', 'episodic', 'procedural'] },
            },
            required: ['event', 'text', 'kind'],
          },
          {
            type: 'object',
            properties: { event: { const: 'UPDATE' }, id: { type: 'string' }, text: { type: 'string' } },
            required: ['event', 'id', 'text'],
          },
          { type: 'object', properties: { event: { const: 'DELETE' }, id: { type: 'string' } }, required: ['event', 'id'] },
          { type: 'object', properties: { event: { const: 'NONE' }, id: { type: 'string' } }, required: ['event', 'id'] },
        ],
      },
    },
  },
  required: ['operations'],
};

const OperationSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('ADD'), text: z.string(), kind: z.enum(['semantic', 'episodic', 'procedural']).default('semantic') }),
  z.object({ event: z.literal('UPDATE'), id: z.string(), text: z.string() }),
  z.object({ event: z.literal('DELETE'), id: z.string() }),
  z.object({ event: z.literal('NONE'), id: z.string() }),
]);
export type Operation = z.infer<typeof OperationSchema>;

export const OperationsSchema = z.object({ operations: z.array(OperationSchema).max(64) });

/** The procedural summary of an agent's run: one memory. */
export const PROCEDURE_JSON_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { memory: { type: 'string' } },
  required: ['memory'],
};
export const ProcedureSchema = z.object({ memory: z.string() });

/** Parses the model's raw text against a schema; anything else is LLM_OUTPUT_INVALID. */
export function parseModelOutput<S extends z.ZodType>(raw: string, schema: S, llmId: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw invalid(llmId, 'is not JSON', raw, error);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw invalid(llmId, `does not match the expected shape (${result.error.issues[0]?.message ?? 'invalid'})`, raw, result.error);
  return result.data;
}

function invalid(llmId: string, what: string, raw: string, cause: unknown): EngramError {
  return new EngramError('LLM_OUTPUT_INVALID', `the output of ${llmId} ${what}; nothing was stored`, {
    cause,
    details: { output: raw.slice(0, 2_000) },
  });
}
