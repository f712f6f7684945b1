import { z } from 'zod';
import { EngramError } from '../errors.js';
import type { JsonSchema } from '../llm/llm.js';

/**
 * What the model may say: the reconciliation contract of DESIGN.md. One zod
 * schema per answer; the JSON schema that constrains generation (a llama.cpp
 * grammar) is derived from it, so the two cannot drift. The zod schema still
 * validates the result: a grammar is not a guarantee (and a scripted Llm can
 * return anything), and it is lenient where the grammar is strict (a missing
 * `kind` defaults to semantic, missing relations to none).
 */
const KindSchema = z.enum(['semantic', 'episodic', 'procedural']);

/** A fact between two named things, as the model states it: "I" / "me" is the user. Checked again when applied. */
export const StatedRelationSchema = z.object({ source: z.string(), relation: z.string(), target: z.string() });
export type StatedRelation = z.infer<typeof StatedRelationSchema>;
/** Relations one fact may state; more is hostile or confused output, and the extra ones are dropped (and counted). */
export const MAX_RELATIONS_PER_FACT = 8;

const Add = z.object({ event: z.literal('ADD'), text: z.string(), kind: KindSchema.default('semantic') });
const Update = z.object({ event: z.literal('UPDATE'), id: z.string(), text: z.string() });
const Delete = z.object({ event: z.literal('DELETE'), id: z.string() });
const None = z.object({ event: z.literal('NONE'), id: z.string() });
const stating = { relations: z.array(StatedRelationSchema).default([]) };

/** The answer without the graph. */
export const OperationsSchema = z.object({ operations: z.array(z.discriminatedUnion('event', [Add, Update, Delete, None])).max(64) });
/** The answer with the graph: ADD and UPDATE also state the relations their fact holds. */
export const GraphOperationsSchema = z.object({
  operations: z.array(z.discriminatedUnion('event', [Add.extend(stating), Update.extend(stating), Delete, None])).max(64),
});
/** An operation of any answer (relations are absent without the graph, categories and importance without a policy that asks for them). */
export type Operation = (z.infer<typeof OperationsSchema>['operations'][number] | z.infer<typeof GraphOperationsSchema>['operations'][number]) & {
  categories?: string[];
  /** Read by planChanges: a number on the scale, or no rating. */
  importance?: unknown;
};

/** Categories one fact may be filed under; the grammar asks for 1 to 3. */
export const MAX_CATEGORIES_PER_FACT = 3;

export type AnswerContract = { schema: z.ZodType<{ operations: Operation[] }>; json: JsonSchema };
const contracts = new Map<string, AnswerContract>();

/** The importance a fact may be rated, least to most. */
export const IMPORTANCE_SCALE = [1, 2, 3, 4, 5] as const;

/**
 * The answer the model must give, with or without the graph's relations, the
 * policy's categories and its importance rating. With categories, ADD and
 * UPDATE also carry `categories`: the grammar allows only the policy's names
 * (1 to 3); with importance, `importance`: one of 1 to 5. The zod schema is
 * lenient (Engram keeps the known names and a rating it can read, see planChanges).
 */
export function answerContract(graph: boolean, categories: readonly string[], importance = false): AnswerContract {
  if (categories.length === 0 && !importance) {
    return graph ? { schema: GraphOperationsSchema, json: GRAPH_OPERATIONS_JSON_SCHEMA } : { schema: OperationsSchema, json: OPERATIONS_JSON_SCHEMA };
  }
  const key = `${graph}|${importance}|${categories.join(',')}`;
  let contract = contracts.get(key);
  if (!contract) {
    const build = (filing: z.ZodType | undefined, rating: z.ZodType | undefined) => {
      const extra = { ...(graph ? stating : {}), ...(filing ? { categories: filing } : {}), ...(rating ? { importance: rating } : {}) };
      return z.object({ operations: z.array(z.discriminatedUnion('event', [Add.extend(extra), Update.extend(extra), Delete, None])).max(64) });
    };
    const filed = categories.length > 0;
    const lenient = build(filed ? z.array(z.string()).max(16).default([]) : undefined, importance ? z.unknown().optional() : undefined);
    const strict = build(
      filed
        ? z
            .array(z.enum(categories as [string, ...string[]]))
            .min(1)
            .max(MAX_CATEGORIES_PER_FACT)
        : undefined,
      importance ? z.literal(IMPORTANCE_SCALE) : undefined,
    );
    contract = { schema: lenient as unknown as AnswerContract['schema'], json: grammarSchema(strict) };
    contracts.set(key, contract);
  }
  return contract;
}

/** The procedural summary of an agent's run: one memory. */
export const ProcedureSchema = z.object({ memory: z.string() });

export const OPERATIONS_JSON_SCHEMA: JsonSchema = grammarSchema(OperationsSchema);
export const GRAPH_OPERATIONS_JSON_SCHEMA: JsonSchema = grammarSchema(GraphOperationsSchema);
export const PROCEDURE_JSON_SCHEMA: JsonSchema = grammarSchema(ProcedureSchema);

/**
 * The JSON schema a grammar is built from: what a complete answer looks
 * like (zod's output side, so defaulted fields are required: the model
 * always writes them), in the subset llama.cpp grammars read (no $schema,
 * no defaults; oneOf, never anyOf).
 */
export function grammarSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' });
  return simplify(json) as JsonSchema;
}

function simplify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(simplify);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'default') continue;
    out[key === 'anyOf' ? 'oneOf' : key] = simplify(value);
  }
  return out;
}

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
