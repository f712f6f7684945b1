import { z } from 'zod';
import { EngramError, type AddOptions, type Message, type Metadata, type MetadataFilter, type Scope, type SearchOptions } from '../index.js';
import { mem0Filters } from './mem0-filters.js';
import { scopeOf, UpdateFields, updateOf } from './request-schemas.js';

// Request bodies of Mem0's hosted API (the routes its official clients call).
// The rule for fields Engram does not have, documented in the README:
// - IGNORED: fields that only shape Mem0's answer or its cloud (output_format,
//   version, org_id, project_id, …): accepted, no effect.
// - REFUSED: fields that would change what is stored or found (custom
//   categories and instructions, expiration dates, …): 400 naming the field.
// - Anything else unknown is a misspelling: 400, as on Engram's own routes.

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);
const ignored = z.unknown().optional();
const refused = (why: string) =>
  z
    .unknown()
    .optional()
    .refine((value) => value === undefined || value === null, { error: why });
const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
const JsonObject = z.custom<Metadata>(isObject, { error: 'must be a JSON object' });

/** Fields Mem0's clients send that shape only Mem0's own answer or cloud. */
const IGNORED = {
  output_format: ignored,
  version: ignored,
  org_id: ignored,
  project_id: ignored,
  org_name: ignored,
  project_name: ignored,
  source: ignored,
  fields: ignored,
  latest_only: ignored,
  keyword_search: ignored,
  show_expired: ignored,
  enable_graph: ignored,
};

const NOT_YET = 'is not supported by Engram yet; leave it out';
/** What Mem0 takes per request, Engram keeps in a policy: every add of that scope applies it. */
const IN_A_POLICY = "is not taken on a request by Engram: keep it in a policy, the store's (PUT /policy) or a user's (PUT /policy?user_id=…)";
/** Fields that would change what is stored or found, which Engram cannot honour yet. */
const REFUSED = {
  custom_categories: refused(`custom_categories ${NOT_YET}`),
  custom_instructions: refused(`custom_instructions ${IN_A_POLICY}`),
  agent_custom_instructions: refused(`agent_custom_instructions ${IN_A_POLICY.replace('user_id', 'agent_id')}`),
  includes: refused(`includes ${IN_A_POLICY}`),
  excludes: refused(`excludes ${IN_A_POLICY}`),
  structured_data_schema: refused(`structured_data_schema ${NOT_YET}`),
  immutable: refused(`immutable ${NOT_YET}`),
  categories: refused(`categories ${NOT_YET} on a request: the store policy names them (PUT /policy), and the model files each memory`),
  start_date: refused(`start_date ${NOT_YET}`),
  end_date: refused(`end_date ${NOT_YET}`),
};

/** On a search or a list: expiry is set by add and update; expired memories leave reads on their own. */
const EXPIRY_ON_READS = { expiration_date: refused('expiration_date belongs to an add or an update: expired memories leave searches and lists on their own') };

/** Query parameters older clients append to every request (their org and project, from ping). */
const IGNORED_PARAMS = { org_id: z.unknown().optional(), project_id: z.unknown().optional(), org_name: z.unknown().optional(), project_name: z.unknown().optional() };

const ScopeFields = {
  user_id: optional(z.string()),
  agent_id: optional(z.string()),
  run_id: optional(z.string()),
  app_id: refused('app_id: Engram has no app scope; use agent_id'),
};

/** A message as Mem0's clients send it: role and text content; other keys (Mem0's extras) are ignored. */
const MessageWire = z
  .object({
    role: z.enum(['user', 'assistant', 'system'], { error: 'role must be user, assistant or system' }),
    content: z.string({ error: 'content must be text (images are not supported)' }),
    name: optional(z.string()),
    created_at: optional(z.string()),
  })
  .transform(({ role, content, name, created_at }): Message => ({ role, content, name, createdAt: created_at }));

/** Unix seconds, as Mem0 sends times (a number, or digits in a string), within the years Engram stores (1970 to 9999). */
const UnixSeconds = z
  .union([z.number(), z.string().regex(/^\d{1,12}(\.\d+)?$/).transform(Number)], { error: 'must be Unix seconds (a number)' })
  .pipe(z.number({ error: 'must be Unix seconds' }).min(0).max(253_402_300_799, { error: 'must be Unix seconds before the year 10000' }));

/** Merges a top-level scope (older clients) with the scope inside filters; two different ids is INVALID_INPUT. */
function mergeScope(top: Scope, inFilters: Scope): Scope {
  const merged: Scope = { ...inFilters };
  for (const key of ['userId', 'agentId', 'runId'] as const) {
    const value = top[key];
    if (value === undefined) continue;
    if (merged[key] !== undefined && merged[key] !== value) {
      throw new EngramError('INVALID_INPUT', `the request names two different ${key} ("${value}" and "${merged[key]}")`);
    }
    merged[key] = value;
  }
  return merged;
}


/** `POST /v3/memories/add/` (and v1's `POST /v1/memories/`). */
export const HostedAddSchema = z
  .strictObject({
    // A string is one user message; problems inside a message name it (messages.0.content).
    messages: z.preprocess(
      (value) => (typeof value === 'string' ? [{ role: 'user', content: value }] : value),
      z.array(MessageWire, { error: 'messages must be a string or an array of { role, content }' }),
    ),
    ...ScopeFields,
    metadata: optional(JsonObject),
    infer: optional(z.boolean()),
    async_mode: optional(z.boolean()),
    /** Unix seconds: when the messages were said (for those without created_at). */
    timestamp: optional(UnixSeconds),
    /** 'YYYY-MM-DD' (through that day, UTC) or a date-time: when what the add stores expires. */
    expiration_date: optional(z.string({ error: 'expiration_date must be a date (2027-01-31) or a date-time' })),
    ...IGNORED,
    ...REFUSED,
  })
  .transform((body) => {
    const said = body.timestamp === undefined ? undefined : new Date(body.timestamp * 1000).toISOString();
    const messages = body.messages.map((m) => ({ ...m, createdAt: m.createdAt ?? said }));
    const options: AddOptions = { ...scopeOf(body), metadata: body.metadata, infer: body.infer, expiresAt: body.expiration_date };
    // The hosted API queues by default (async_mode true); false waits for the results.
    const asyncMode = body.async_mode;
    return { messages, options, asyncMode };
  });

/** `POST /v3/memories/search/` (and v2's): query, filters (with the scope), top_k, threshold, rerank, reference_date. */
export const HostedSearchSchema = z
  .strictObject({
    query: z.string({ error: 'query must be a string' }),
    ...ScopeFields,
    filters: optional(JsonObject),
    metadata: optional(JsonObject),
    top_k: optional(z.number()),
    limit: optional(z.number()),
    threshold: optional(z.number()),
    rerank: optional(z.boolean()),
    reference_date: optional(z.union([UnixSeconds, z.string()])),
    ...IGNORED,
    ...REFUSED,
    ...EXPIRY_ON_READS,
  })
  .transform((body) => {
    const { scope, filters, createdAt, updatedAt, ids } = mem0Filters(body.filters, 'body.filters');
    const metadata = body.metadata === undefined ? undefined : mem0Filters({ metadata: body.metadata }, 'body').filters;
    const options: SearchOptions = {
      ...mergeScope(scopeOf(body), scope),
      filters: both(filters, metadata),
      createdAt,
      updatedAt,
      ids,
      limit: body.top_k ?? body.limit,
      threshold: body.threshold,
      rerank: body.rerank,
      referenceDate: body.reference_date === undefined ? undefined : asDate(body.reference_date),
    };
    return { query: body.query, options };
  });

/** `POST /v3/memories/` (and v2's): the list's filters; paging comes as page / page_size (query or body). */
export const HostedListSchema = z
  .strictObject({
    ...ScopeFields,
    filters: optional(JsonObject),
    page: optional(z.number().int().min(1)),
    page_size: optional(z.number().int().min(1)),
    ...IGNORED,
    ...REFUSED,
    ...EXPIRY_ON_READS,
  })
  .transform((body) => {
    const { scope, filters, createdAt, updatedAt, ids } = mem0Filters(body.filters, 'body.filters');
    return { scope: mergeScope(scopeOf(body), scope), filters, createdAt, updatedAt, ids, page: body.page, pageSize: body.page_size };
  });

/** `PUT /v1/memories/{id}/`: as Engram's update, and Mem0's fields Engram cannot honour yet refused. */
export const HostedUpdateSchema = updateOf(
  z.strictObject({
    ...UpdateFields,
    timestamp: refused(`timestamp ${NOT_YET} on update`),
  }),
);

const BatchItem = z.strictObject({ memory_id: z.string(), text: optional(z.string()), metadata: optional(JsonObject) });
/** `PUT /v1/batch/`: up to 1,000 updates. */
export const HostedBatchUpdateSchema = z.strictObject({ memories: z.array(BatchItem).min(1).max(1000) });
/** `DELETE /v1/batch/`: up to 1,000 ids. */
export const HostedBatchDeleteSchema = z.strictObject({ memories: z.array(z.strictObject({ memory_id: z.string() })).min(1).max(1000) });

/** The query of `DELETE /v1/memories/` (Mem0's delete-all) and of the id routes. */
export const HostedScopeQuerySchema = z
  .strictObject({
    user_id: z.string().optional(),
    agent_id: z.string().optional(),
    run_id: z.string().optional(),
    app_id: refused('app_id: Engram has no app scope; use agent_id'),
    filters: refused('filters in a query string are not supported here; give user_id, agent_id or run_id'),
    delete_linked: z.unknown().optional(),
    ...IGNORED_PARAMS,
  })
  .transform(scopeOf);

const Page = z.string().regex(/^[1-9]\d{0,8}$/, { error: 'must be a whole number from 1' }).transform(Number);

/** `GET /v1/memories/?user_id=…` (older clients' list): the scope and paging in the query. */
export const HostedV1ListQuerySchema = z
  .strictObject({ user_id: z.string().optional(), agent_id: z.string().optional(), run_id: z.string().optional(), page: Page.optional(), page_size: Page.optional(), ...IGNORED_PARAMS })
  .transform(({ page, page_size, ...rest }) => ({ ...scopeOf(rest), page, page_size }));

/** Paging of `GET /v1/entities/` and of the list. */
export const PagingQuerySchema = z.strictObject({ page: Page.optional(), page_size: Page.optional(), ...IGNORED_PARAMS });

function both(a: MetadataFilter | undefined, b: MetadataFilter | undefined): MetadataFilter | undefined {
  if (a && b) return { AND: [a, b] };
  return a ?? b;
}

/** Mem0 sends reference_date as ISO text or Unix seconds (checked as such); ISO text goes to the Memory API as given. */
function asDate(value: string | number): string {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : value;
}
