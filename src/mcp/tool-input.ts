import { z } from 'zod';
import { LIMITS } from '../index.js';
import type { ScopeOverride } from './scope.js';

const ScopeOverrideShape = {
  user_id: z
    .string()
    .min(1)
    .max(LIMITS.maxScopeIdLength)
    .optional()
    .describe("Whose memories to use, instead of the server's default user. Leave it out unless told to act for another user."),
  agent_id: z
    .string()
    .min(1)
    .max(LIMITS.maxScopeIdLength)
    .optional()
    .describe("Narrow to one agent's memories of the user, instead of the server's default agent."),
};

/**
 * Keys some MCP clients put into a tool call's arguments on their own: n8n adds
 * `toolCallId`, others a `tool_call_description` or a misplaced `_meta` (any
 * `_`-prefixed key). The model never wrote them and cannot take them out, and
 * they never say what the user asked, so a call is not refused for them.
 */
const CLIENT_ADDED_KEYS: ReadonlySet<string> = new Set(['toolCallId', 'tool_call_description']);

/** Whether an undeclared argument is one a client adds by itself (and so is ignored). */
export function isClientAddedKey(key: string): boolean {
  return key.startsWith('_') || CLIENT_ADDED_KEYS.has(key);
}

/** What a refused argument was probably meant as, in words a model can act on. */
function unknownArgumentMessage(keys: string[], declared: string[]): string {
  const accepted = declared.length === 0 ? 'it takes no arguments' : `it takes ${declared.join(', ')}`;
  const scope = keys.filter((key) => key === 'user_id' || key === 'agent_id');
  const why = scope.length > 0 ? `; ${scope.join(' and ')} cannot be chosen: this server only uses the memories it was set up for` : '';
  return `unknown argument ${keys.map((key) => `"${key}"`).join(', ')} (${accepted})${why}`;
}

/** An optional argument sent as null means "not given": clients that fill every parameter send null for the ones left out. */
function nullAsAbsent(field: z.ZodType): z.ZodType {
  return field.isOptional() ? z.preprocess((value) => (value === null ? undefined : value), field) : field;
}

/**
 * A tool's input schema, with the scope inputs only when the server allows
 * scope override. An unknown argument is an error, not silently dropped (a
 * misspelt `limt`, or a `user_id` the server does not take, would change what
 * the call means), except the keys clients add by themselves
 * (isClientAddedKey); null for an optional argument is read as absent. The
 * schema is advertised closed (`additionalProperties: false`): the tolerance
 * is for clients, not an invitation to models.
 */
export function toolInput<Shape extends Record<string, z.ZodType>>(shape: Shape, allowOverride: boolean) {
  const fields: Record<string, z.ZodType> = allowOverride ? { ...shape, ...ScopeOverrideShape } : { ...shape };
  const declared = Object.keys(fields);
  const schema = z
    .looseObject(Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, nullAsAbsent(field)])))
    .superRefine((args, ctx) => {
      const unknown = Object.keys(args).filter((key) => !declared.includes(key) && !isClientAddedKey(key));
      if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: unknownArgumentMessage(unknown, declared), input: args });
    })
    .meta({ additionalProperties: false });
  // Both variants parse to the base fields plus, at most, the optional scope fields (client-added keys are never read).
  return schema as unknown as z.ZodType<z.output<z.ZodObject<Shape>> & ScopeOverride>;
}
