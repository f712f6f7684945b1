import { EngramError, type ChangedBy, type Memory, type MemoryItem, type Metadata, type Scope } from '../index.js';
import { readJsonBody } from './json-body.js';
import {
  toWireEntity,
  toWireEvent,
  toWireHistoryEntry,
  toWireJob,
  toWireMemory,
  toWireNeighbourhood,
  toWireRelation,
  toWireMessage,
  toWireScopeOwner,
  toWireScoredMemory,
  toWirePolicy,
} from './mem0-mapping.js';
import { exportResponse } from './export-response.js';
import {
  AddBodySchema,
  GraphEntitiesQuerySchema,
  GraphMergeBodySchema,
  GraphNeighboursQuerySchema,
  GraphRelationsQuerySchema,
  JobListQuerySchema,
  ListQuerySchema,
  parseRequest,
  queryObject,
  requireScope,
  ScopeQuerySchema,
  ScopesQuerySchema,
  DeleteQuerySchema,
  PolicyBodySchema,
  PolicyQuerySchema,
  SourcesQuerySchema,
  SearchBodySchema,
  UpdateBodySchema,
  PurgeExpiredBodySchema,
} from './request-schemas.js';
import { Answer, type Route, type ServerContext } from './route-table.js';

/** What Engram's own routes need beside the memory. */
export type RouteDeps = {
  memory: Memory;
  version: string;
  /** Largest request body, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Whether an inferring add may be queued now (see ServerOptions.queueAdds). */
  queueAdds: () => boolean;
};

export const query = (c: ServerContext) => queryObject(new URL(c.req.url).searchParams);
export const idOf = (c: ServerContext, name = 'id') => c.req.param(name) as string;
/** The id routes' optional `?user_id=&agent_id=&run_id=`: a memory outside the scope is NOT_FOUND. */
export const idScope = (c: ServerContext) => parseRequest(ScopeQuerySchema, query(c), 'query');

/** An update over REST: without new text, the memory keeps its text and gets a version with the new metadata. */
export async function updateMemory(
  memory: Memory,
  id: string,
  change: {
    text?: string | undefined;
    options: { metadata?: Metadata | undefined; changedBy?: ChangedBy | undefined; ifVersion?: number | undefined; expiresAt?: string | null | undefined };
  },
  scope: Scope,
): Promise<MemoryItem> {
  const text = change.text ?? (await currentMemory(memory, id, scope)).memory;
  return memory.update(id, text, { ...change.options, ...scope });
}

/** The current memory with this id in the scope, or NOT_FOUND. */
export async function currentMemory(memory: Memory, id: string, scope: Scope): Promise<MemoryItem> {
  const item = await memory.get(id, scope);
  // Mem0 answers 200 with null here; a 404 is what an HTTP client can act on.
  if (!item) throw new EngramError('NOT_FOUND', `no current memory with id ${id}`);
  return item;
}

export const QUEUED_MESSAGE = 'queued: the memories will be extracted in the background';

/** Mem0's open-source REST routes (server/main.py) over the Memory API, plus `GET /health`, the queue's `/jobs` and the entity graph's `/graph`. */
export function engramRoutes({ memory, version, queueAdds, maxBodyBytes }: RouteDeps): Route[] {
  const body = (c: ServerContext) => readJsonBody(c, maxBodyBytes);
  return [
    {
      path: '/health',
      public: true,
      methods: { GET: async () => ({ status: 'ok', version }) },
    },
    {
      path: '/memories',
      methods: {
        POST: async (c) => {
          const { messages, options, asyncMode } = parseRequest(AddBodySchema, await body(c), 'body');
          requireScope(options);
          // Without inference nothing waits for the LLM: async_mode answers 200 with the results, as Mem0's server does.
          if (asyncMode && options.infer !== false && queueAdds()) {
            const { jobId } = await memory.add(messages, { ...options, wait: false });
            // Mem0's hosted API answers { event_id, status: 'PENDING' }; job_id names it for GET /jobs/:id.
            return new Answer(202, { event_id: jobId, job_id: jobId, status: 'PENDING', message: QUEUED_MESSAGE });
          }
          const { results, droppedOperations } = await memory.add(messages, { ...options, wait: true });
          return { results: results.map(toWireEvent), dropped_operations: droppedOperations };
        },
        GET: async (c) => {
          const { results } = await memory.getAll(requireScope(parseRequest(ListQuerySchema, query(c), 'query')));
          return { results: results.map(toWireMemory) };
        },
        DELETE: async (c) => {
          const { deleted } = await memory.deleteAll(requireScope(parseRequest(ScopeQuerySchema, query(c), 'query')));
          return { message: 'All relevant memories deleted', deleted };
        },
      },
    },
    {
      path: '/memories/:id',
      methods: {
        GET: async (c) => toWireMemory(await currentMemory(memory, idOf(c), idScope(c))),
        PUT: async (c) => toWireMemory(await updateMemory(memory, idOf(c), parseRequest(UpdateBodySchema, await body(c), 'body'), idScope(c))),
        DELETE: async (c) => {
          await memory.delete(idOf(c), parseRequest(DeleteQuerySchema, query(c), 'query'));
          return { message: 'Memory deleted successfully' };
        },
      },
    },
    {
      path: '/memories/:id/history',
      methods: { GET: async (c) => (await memory.history(idOf(c), idScope(c))).map(toWireHistoryEntry) },
    },
    {
      path: '/memories/:id/sources',
      methods: {
        GET: async (c) => {
          const messages = await memory.sources(idOf(c), parseRequest(SourcesQuerySchema, query(c), 'query'));
          return { results: messages.map(toWireMessage) };
        },
      },
    },
    {
      path: '/search',
      methods: {
        POST: async (c) => {
          const { query: text, options } = parseRequest(SearchBodySchema, await body(c), 'body');
          const { results, relations } = await memory.search(text, requireScope(options));
          // With the entity graph, the relations around the query's entities too (as Mem0's graph search returns them).
          return { results: results.map(toWireScoredMemory), ...(relations ? { relations: relations.map(toWireRelation) } : {}) };
        },
      },
    },
    {
      path: '/scopes',
      methods: {
        // Every user, agent and run with current memories, and how many: the page's list.
        GET: async (c) => {
          const { results, total } = await memory.scopes(parseRequest(ScopesQuerySchema, query(c), 'query'));
          return { results: results.map(toWireScopeOwner), total };
        },
        // Forgets the scope for good (Memory.forget): nothing stays, not even history.
        DELETE: async (c) => {
          const erased = await memory.forget(requireScope(parseRequest(ScopeQuerySchema, query(c), 'query')));
          return { message: 'Scope forgotten', erased };
        },
      },
    },
    {
      path: '/expired/purge',
      methods: {
        // Erases expired memories for good (Memory.purgeExpired); `dry_run` says what would go.
        POST: async (c) => {
          const options = parseRequest(PurgeExpiredBodySchema, await body(c), 'body');
          return { dry_run: options.dryRun ?? false, erased: await memory.purgeExpired(options) };
        },
      },
    },
    {
      path: '/policy',
      methods: {
        // The store's policy, or a scope's own with ?user_id=… (Memory.policy / setPolicy): every process working this store applies it.
        GET: async (c) => {
          const { scope, effective } = parseRequest(PolicyQuerySchema, query(c), 'query');
          if (effective) return { policy: toWirePolicy(await memory.effectivePolicy(requireScope(scope))) };
          return { policy: toWirePolicy(await memory.policy(scope)) };
        },
        PUT: async (c) => {
          const scope = parseRequest(ScopeQuerySchema, query(c), 'query');
          await memory.setPolicy(parseRequest(PolicyBodySchema, await body(c), 'body'), scope);
          return { policy: toWirePolicy(await memory.policy(scope)) };
        },
        DELETE: async (c) => {
          await memory.setPolicy(null, parseRequest(ScopeQuerySchema, query(c), 'query'));
          return { policy: null };
        },
      },
    },
    {
      path: '/export',
      // One scope's records as JSON Lines (what `engram import` and Memory.import read), sent as a download.
      methods: { GET: async (c) => exportResponse(memory, requireScope(parseRequest(ScopeQuerySchema, query(c), 'query'))) },
    },
    {
      path: '/jobs',
      methods: {
        GET: async (c) => {
          const { results, counts } = await memory.jobs(parseRequest(JobListQuerySchema, query(c), 'query'));
          return { results: results.map(toWireJob), counts };
        },
      },
    },
    {
      path: '/jobs/:id',
      methods: {
        GET: async (c) => {
          const job = await memory.job(idOf(c), idScope(c));
          if (!job) throw new EngramError('NOT_FOUND', `no job with id ${idOf(c)}`);
          return toWireJob(job);
        },
      },
    },
    { path: '/jobs/:id/retry', methods: { POST: async (c) => toWireJob(await memory.retryJob(idOf(c), idScope(c))) } },
    { path: '/jobs/:id/cancel', methods: { POST: async (c) => toWireJob(await memory.cancelJob(idOf(c), idScope(c))) } },
    {
      path: '/graph/entities',
      methods: {
        GET: async (c) => {
          const { results } = await memory.graph.entities(requireScope(parseRequest(GraphEntitiesQuerySchema, query(c), 'query')));
          return { results: results.map(toWireEntity) };
        },
      },
    },
    {
      path: '/graph/relations',
      methods: {
        GET: async (c) => {
          const { results } = await memory.graph.relations(requireScope(parseRequest(GraphRelationsQuerySchema, query(c), 'query')));
          return { results: results.map(toWireRelation) };
        },
      },
    },
    {
      path: '/graph/neighbours/:entity',
      methods: {
        GET: async (c) => {
          const options = requireScope(parseRequest(GraphNeighboursQuerySchema, query(c), 'query'));
          return toWireNeighbourhood(await memory.graph.neighbours(idOf(c, 'entity'), options));
        },
      },
    },
    {
      path: '/graph/merge',
      methods: {
        POST: async (c) => {
          const { from, into, scope } = parseRequest(GraphMergeBodySchema, await body(c), 'body');
          return toWireEntity(await memory.graph.merge(from, into, requireScope(scope)));
        },
      },
    },
    {
      path: '/reset',
      methods: {
        POST: async () => {
          await memory.reset();
          return { message: 'All memories reset' };
        },
      },
    },
  ];
}
