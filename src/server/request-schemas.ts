import { z } from 'zod';
import {
  ChangedBySchema,
  EngramError,
  JobStatusSchema,
  MemoryItemSchema,
  MessageSchema,
  SearchOptionsSchema,
  type AddOptions,
  type ChangedBy,
  type GetAllOptions,
  type GraphEntitiesOptions,
  type GraphNeighboursOptions,
  type GraphRelationsOptions,
  type Message,
  type Metadata,
  type Policy,
  type PurgeExpiredOptions,
  type MetadataFilter,
  type Scope,
  type SearchOptions,
} from '../index.js';
import { snakeCase, toCamelKeys, toSnakeKeys } from './mem0-mapping.js';

// The edge checks shapes and types, in Mem0's snake_case, and refuses unknown
// keys; the Memory API then checks values (lengths, ranges, metadata, filters)
// as it does for every caller. Each schema's output is the camelCase API call.
// Transforms never throw: zod runs them even beside non-fatal issues (an
// unknown key), which must be reported first.

/** Optional, and Python clients send `None` (null) for "not given". */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
const MetadataWire = z.custom<Metadata>(isObject, { error: 'metadata must be a JSON object' });
const FiltersWire = z.custom<MetadataFilter>(isObject, { error: 'filters must be a JSON object' });

const ScopeWire = {
  user_id: optional(z.string()),
  agent_id: optional(z.string()),
  run_id: optional(z.string()),
};
type ScopeFields = { user_id?: string | undefined; agent_id?: string | undefined; run_id?: string | undefined };

/** The wire's user_id / agent_id / run_id as the Memory API's scope. */
export function scopeOf(fields: ScopeFields): Scope {
  const scope: Scope = {};
  if (fields.user_id !== undefined) scope.userId = fields.user_id;
  if (fields.agent_id !== undefined) scope.agentId = fields.agent_id;
  if (fields.run_id !== undefined) scope.runId = fields.run_id;
  return scope;
}

/**
 * SCOPE_REQUIRED in the words a REST client uses, before the Memory API says
 * it in camelCase. Returns `options` for chaining.
 */
export function requireScope<T extends Scope>(options: T): T {
  if (options.userId === undefined && options.agentId === undefined && options.runId === undefined) {
    throw new EngramError('SCOPE_REQUIRED', 'give at least one of user_id, agent_id, run_id (or userId, agentId, runId)');
  }
  return options;
}

const MessageWire = z
  .strictObject({
    role: MessageSchema.shape.role,
    content: z.string(),
    name: optional(z.string()),
    created_at: optional(z.string()),
  })
  .transform(({ created_at, ...message }): Message => ({ ...message, createdAt: created_at }));

/**
 * `POST /memories`: Mem0's body, plus Engram's `kind`. `async_mode` (Mem0's
 * hosted API) queues an inferring add instead of waiting for the LLM.
 */
export const AddBodySchema = z
  .strictObject({
    messages: z.union([z.string(), z.array(MessageWire)], { error: 'messages must be a string or an array of { role, content }' }),
    ...ScopeWire,
    metadata: optional(MetadataWire),
    infer: optional(z.boolean()),
    kind: optional(MemoryItemSchema.shape.kind),
    async_mode: optional(z.boolean()),
    expiration_date: optional(z.string({ error: 'expiration_date must be a date (2027-01-31) or a date-time' })),
  })
  .transform(({ messages, metadata, infer, kind, async_mode, expiration_date, ...scope }) => {
    const options: AddOptions = { ...scopeOf(scope), metadata, infer, kind, expiresAt: expiration_date };
    return { messages, options, asyncMode: async_mode ?? false };
  });

/**
 * The wire body of an operation, derived from the Memory API's options schema:
 * every option the API has, in snake_case (`vector_weight`, `as_of`,
 * `recency.half_life_days`), unknown keys refused. Values pass through as sent
 * (null dropped) for the Memory API to check, so REST never lags the API.
 */
export function wireOptions<Shape extends Record<string, z.ZodType>>(shape: Shape) {
  const keys = Object.keys(shape).map(snakeCase);
  return z.strictObject(Object.fromEntries(keys.map((key) => [key, z.unknown().optional()]))).transform((body) => toCamelKeys(body) as Record<string, unknown>);
}

/** `POST /search`: `query` and every option of `Memory.search` (Mem0's `user_id`, `limit`, `filters`, `threshold` among them). */
export const SearchBodySchema = z
  .strictObject({ query: z.string({ error: 'query must be a string' }), ...wireOptions(SearchOptionsSchema.shape).in.shape })
  .transform(({ query, ...rest }) => ({ query, options: toCamelKeys(rest) as SearchOptions }));

/**
 * The fields of an update: new text as `text` (Engram, Mem0's platform) or `data` (Mem0's OSS clients), new metadata,
 * a new `expiration_date` (null: never expires), or any of them.
 */
export const UpdateFields = {
  text: optional(z.string()),
  data: optional(z.string()),
  metadata: optional(MetadataWire),
  expiration_date: z.string({ error: 'expiration_date must be a date (2027-01-31), a date-time, or null' }).nullable().optional(),
};

/** Checks and joins UpdateFields: text may be left out when metadata is given (a metadata-only update keeps the text). */
export function updateOf<
  T extends {
    text?: string | undefined;
    data?: string | undefined;
    metadata?: Metadata | undefined;
    expiration_date?: string | null | undefined;
    changed_by?: ChangedBy | undefined;
    if_version?: number | undefined;
  },
>(
  schema: z.ZodType<T>,
) {
  return schema
    .refine(({ text, data }) => text === undefined || data === undefined, { error: 'give the new text as "text" or "data", not both' })
    .refine(({ text, data, metadata, expiration_date }) => text !== undefined || data !== undefined || metadata !== undefined || expiration_date !== undefined, {
      error: 'give the new text ("text", or Mem0\'s "data"), new metadata, a new expiration_date, or several',
    })
    .transform(({ text, data, metadata, expiration_date, changed_by, if_version }) => ({
      text: text ?? data,
      options: { metadata, changedBy: changed_by, ifVersion: if_version, expiresAt: expiration_date },
    }));
}

/**
 * `PUT /memories/:id`; `changed_by: "user"` records that a person made the
 * change, `if_version` refuses it (409 CONFLICT) when the memory moved on
 * since that version was read (the page sends both).
 */
export const UpdateBodySchema = updateOf(
  z.strictObject({ ...UpdateFields, changed_by: optional(ChangedBySchema), if_version: optional(z.number({ error: 'if_version must be a number' })) }),
);

/** `GET /memories/:id/sources?user_id=…&as_of=…`. */
export const SourcesQuerySchema = z
  .strictObject({ ...ScopeWire, as_of: optional(z.string()) })
  .transform(({ as_of, ...scope }) => ({ ...scopeOf(scope), asOf: as_of }));


const Count = z
  .string()
  .regex(/^\d{1,9}$/, { error: 'must be a whole number' })
  .transform(Number);

const JsonObjectParam = z.string().transform((text, ctx) => {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return value as MetadataFilter;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON object, URL-encoded' });
  return z.NEVER;
});

/** `GET /memories?user_id=…&limit=…&offset=…&as_of=…&filters=<JSON>`. */
export const ListQuerySchema = z
  .strictObject({ ...ScopeWire, limit: Count.optional(), offset: Count.optional(), as_of: z.string().optional(), filters: JsonObjectParam.optional() })
  .transform(({ user_id, agent_id, run_id, as_of, ...rest }): GetAllOptions => ({ ...scopeOf({ user_id, agent_id, run_id }), ...rest, asOf: as_of }));

/** `status=queued,failed`: one status or several, comma-separated. */
const StatusListParam = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(z.enum(JobStatusSchema.options, { error: `must be statuses separated by commas (${JobStatusSchema.options.join(', ')})` })));

/** `GET /jobs?user_id=…&status=queued,failed&limit=…&offset=…`: without a scope, the jobs of every scope. */
export const JobListQuerySchema = z
  .strictObject({ ...ScopeWire, status: StatusListParam.optional(), limit: Count.optional(), offset: Count.optional() })
  .transform(({ user_id, agent_id, run_id, ...rest }) => ({ ...scopeOf({ user_id, agent_id, run_id }), ...rest }));

/** `true` or `false`, as a query parameter. */
const BooleanParam = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true');

/** `GET /graph/entities?user_id=…&limit=…&offset=…`. */
export const GraphEntitiesQuerySchema = z
  .strictObject({ ...ScopeWire, limit: Count.optional(), offset: Count.optional() })
  .transform(({ user_id, agent_id, run_id, ...rest }): GraphEntitiesOptions => ({ ...scopeOf({ user_id, agent_id, run_id }), ...rest }));

/** `GET /graph/relations?user_id=…&entity=…&as_of=…&include_retired=true`. */
export const GraphRelationsQuerySchema = z
  .strictObject({ ...ScopeWire, entity: z.string().optional(), as_of: z.string().optional(), include_retired: BooleanParam.optional() })
  .transform(
    ({ user_id, agent_id, run_id, entity, as_of, include_retired }): GraphRelationsOptions => ({
      ...scopeOf({ user_id, agent_id, run_id }),
      entity,
      asOf: as_of,
      includeRetired: include_retired,
    }),
  );

/** `GET /graph/neighbours/:entity?user_id=…&depth=…&as_of=…`. */
export const GraphNeighboursQuerySchema = z
  .strictObject({ ...ScopeWire, depth: Count.optional(), as_of: z.string().optional() })
  .transform(({ user_id, agent_id, run_id, depth, as_of }): GraphNeighboursOptions => ({ ...scopeOf({ user_id, agent_id, run_id }), depth, asOf: as_of }));

/** `POST /graph/merge`: `{ from, into, user_id?, agent_id?, run_id? }`, two entity ids of one scope. */
export const GraphMergeBodySchema = z
  .strictObject({ from: z.string({ error: 'from must be an entity id' }), into: z.string({ error: 'into must be an entity id' }), ...ScopeWire })
  .transform(({ from, into, ...scope }) => ({ from, into, scope: scopeOf(scope) }));

/**
 * A query of scope parameters only: `DELETE /memories?user_id=…` (Mem0's
 * delete-all), and the id routes (`/memories/:id?user_id=…`), where a given
 * scope restricts the memory the id may reach.
 */
export const ScopeQuerySchema = z.strictObject(ScopeWire).transform(scopeOf);

/** `GET /policy?user_id=…&effective=true`: a scope's own policy, or (`effective`) what applies there; no scope: the store's. */
export const PolicyQuerySchema = z
  .strictObject({ ...ScopeWire, effective: BooleanParam.optional() })
  .transform(({ effective, ...scope }) => ({ scope: scopeOf(scope), effective: effective ?? false }));

/** `POST /expired/purge`: `{ user_id?, agent_id?, run_id?, dry_run? }` (no scope: every scope). */
export const PurgeExpiredBodySchema = z
  .strictObject({ ...ScopeWire, dry_run: optional(z.boolean({ error: 'dry_run must be true or false' })) })
  .transform(({ dry_run, ...scope }): PurgeExpiredOptions => ({ ...scopeOf(scope), dryRun: dry_run }));

/** `DELETE /memories/:id?user_id=…&changed_by=user&if_version=2`. */
export const DeleteQuerySchema = z
  .strictObject({ ...ScopeWire, changed_by: optional(ChangedBySchema), if_version: Count.optional() })
  .transform(({ changed_by, if_version, ...scope }) => ({ ...scopeOf(scope), changedBy: changed_by, ifVersion: if_version }));

/**
 * `PUT /policy`: the store's policy; Mem0's `custom_instructions` is taken for
 * `instructions`. Memory.setPolicy checks the values.
 */
export const PolicyBodySchema = z
  .strictObject({
    instructions: optional(z.string()),
    custom_instructions: optional(z.string()),
    includes: z.unknown().optional(),
    excludes: z.unknown().optional(),
    deny: z.unknown().optional(),
    categories: z.unknown().optional(),
    importance: z.unknown().optional(),
    expire_after_days: z.unknown().optional(),
    track_access: z.unknown().optional(),
  })
  .refine(({ instructions, custom_instructions }) => instructions === undefined || custom_instructions === undefined, {
    error: 'give the instructions as "instructions" or Mem0\'s "custom_instructions", not both',
  })
  .transform(({ custom_instructions, instructions, expire_after_days, track_access, ...rest }) => {
    const policy: Record<string, unknown> = { ...rest, expireAfterDays: expire_after_days, trackAccess: track_access };
    const text = instructions ?? custom_instructions;
    if (text !== undefined) policy.instructions = text;
    for (const key of Object.keys(policy)) if (policy[key] === undefined || policy[key] === null) delete policy[key];
    return policy as Policy;
  });

/** `GET /scopes?limit=…&offset=…`. */
export const ScopesQuerySchema = z.strictObject({ limit: Count.optional(), offset: Count.optional() });

/**
 * Validates a JSON body or a query (as an object) against a snake_case schema,
 * after renaming known camelCase keys. Throws INVALID_INPUT naming each problem
 * ("body.user_id: …", "query: unknown field "foo"").
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(toSnakeKeys(input, where));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const at = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${at}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${at}: ${issue.message}`;
  });
  throw new EngramError('INVALID_INPUT', problems.join('; '), { cause: result.error });
}

/**
 * The query string as an object. A parameter given twice is INVALID_INPUT:
 * `?user_id=a&user_id=b` must not silently pick one user.
 */
export function queryObject(params: URLSearchParams): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [key, value] of params) {
    if (entries.some(([seen]) => seen === key)) throw new EngramError('INVALID_INPUT', `query: "${key}" is given more than once`);
    entries.push([key, value]);
  }
  return Object.fromEntries(entries);
}
