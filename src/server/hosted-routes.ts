import { EngramError, LIMITS, type GetAllOptions, type Job, type Memory, type MetadataFilter, type ScopeOwner, type Scope } from '../index.js';
import type { RouteDeps } from './engram-routes.js';
import { currentMemory, idOf, QUEUED_MESSAGE, query, updateMemory } from './engram-routes.js';
import {
  HostedAddSchema,
  HostedBatchDeleteSchema,
  HostedBatchUpdateSchema,
  HostedListSchema,
  HostedScopeQuerySchema,
  HostedSearchSchema,
  HostedUpdateSchema,
  HostedV1ListQuerySchema,
  PagingQuerySchema,
} from './hosted-requests.js';
import { readJsonBody } from './json-body.js';
import { toWireEvent, toWireHistoryEntry, toWireMemory, toWireRelation, toWireScoredMemory } from './mem0-mapping.js';
import { parseRequest, requireScope } from './request-schemas.js';
import type { Route, ServerContext } from './route-table.js';

/** What `GET /v1/ping/` answers beside `status`: Mem0's Python client refuses to start without an org and a project id. */
export const PING_IDENTITY = { org_id: 'engram', project_id: 'local', user_email: null } as const;

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = LIMITS.maxPageSize;

/**
 * The routes of Mem0's hosted API (api.mem0.ai) that its official clients
 * call, over the Memory API: `mem0ai` 3.x for JavaScript and the Python
 * `MemoryClient` use v1 and v3; older clients' v1 and v2 routes are served too.
 * Trailing slashes are optional (the app is not strict).
 */
export function hostedRoutes({ memory, maxBodyBytes, queueAdds }: RouteDeps): Route[] {
  const body = (c: ServerContext) => readJsonBody(c, maxBodyBytes);
  const scopeQuery = (c: ServerContext) => parseRequest(HostedScopeQuerySchema, query(c), 'query');

  // v1 and v2 (older clients) answer bare lists where v3 answers { results } or the paginated envelope.
  const add = (version: 'v1' | 'v3') => async (c: ServerContext) => {
    const { messages, options, asyncMode } = parseRequest(HostedAddSchema, await body(c), 'body');
    requireScope(options);
    // v3 queues unless told otherwise; v1 waited unless told to queue.
    const queue = (asyncMode ?? version === 'v3') && options.infer !== false && queueAdds();
    if (queue) {
      const { jobId } = await memory.add(messages, { ...options, wait: false });
      const pending = { message: QUEUED_MESSAGE, status: 'PENDING', event_id: jobId };
      return version === 'v3' ? pending : { results: [pending] };
    }
    const results = (await memory.add(messages, { ...options, wait: true })).results.map(toWireEvent);
    return version === 'v3' ? { results } : results;
  };

  const search = (version: 'v1' | 'v2' | 'v3') => async (c: ServerContext) => {
    const { query: text, options } = parseRequest(HostedSearchSchema, await body(c), 'body');
    // Mem0's rerank asks for its cloud reranker; Engram reranks only with one configured, and otherwise searches as usual.
    const { results, relations } = await memory.search(text, requireScope({ ...options, rerank: options.rerank === true && memory.canRerank }));
    const found = results.map(toWireScoredMemory);
    if (version !== 'v3') return found;
    return { results: found, ...(relations ? { relations: relations.map(toWireRelation) } : {}) };
  };

  /** One page of a scope's memories: the paginated envelope when v3 or when a page was asked, else (v1, v2) the bare list. */
  const page = async (c: ServerContext, version: 'v1' | 'v2' | 'v3', request: ListRequest) => {
    const scope = requireScope(request.scope);
    const read = { ...scope, filters: request.filters, createdAt: request.createdAt, updatedAt: request.updatedAt, ids: request.ids };
    const paged = version === 'v3' || request.page !== undefined || request.pageSize !== undefined;
    const number = request.page ?? 1;
    const size = Math.min(request.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const listed = (await memory.getAll({ ...read, limit: size, offset: (number - 1) * size })).results.map(toWireMemory);
    if (!paged) return listed;
    // Only the envelope needs the total.
    const count = await memory.count(read);
    return { count, ...pageLinks(c, number, size, count), results: listed };
  };

  const list = (version: 'v2' | 'v3') => async (c: ServerContext) => {
    const paging = parseRequest(PagingQuerySchema, query(c), 'query');
    const request = parseRequest(HostedListSchema, await body(c), 'body');
    return page(c, version, { ...request, page: paging.page ?? request.page, pageSize: paging.page_size ?? request.pageSize });
  };

  return [
    { path: '/v1/ping', methods: { GET: async () => ({ status: 'ok', message: 'Engram is running', ...PING_IDENTITY }) } },
    { path: '/v3/memories/add', methods: { POST: add('v3') } },
    { path: '/v3/memories', methods: { POST: list('v3') } },
    { path: '/v2/memories', methods: { POST: list('v2') } },
    { path: '/v3/memories/search', methods: { POST: search('v3') } },
    { path: '/v2/memories/search', methods: { POST: search('v2') } },
    { path: '/v1/memories/search', methods: { POST: search('v1') } },
    {
      path: '/v1/memories',
      methods: {
        POST: add('v1'),
        GET: async (c) => {
          const { page: number, page_size, ...scope } = parseRequest(HostedV1ListQuerySchema, query(c), 'query');
          return page(c, 'v1', { scope, page: number, pageSize: page_size });
        },
        DELETE: async (c) => {
          const { deleted } = await memory.deleteAll(requireScope(scopeQuery(c)));
          return { message: 'Memories deleted successfully!', deleted };
        },
      },
    },
    {
      path: '/v1/memories/:id',
      methods: {
        GET: async (c) => toWireMemory(await currentMemory(memory, idOf(c), scopeQuery(c))),
        PUT: async (c) => toWireMemory(await updateMemory(memory, idOf(c), parseRequest(HostedUpdateSchema, await body(c), 'body'), scopeQuery(c))),
        DELETE: async (c) => {
          await memory.delete(idOf(c), scopeQuery(c));
          return { message: 'Memory deleted successfully!' };
        },
      },
    },
    { path: '/v1/memories/:id/history', methods: { GET: async (c) => (await memory.history(idOf(c), scopeQuery(c))).map(toWireHistoryEntry) } },
    {
      path: '/v1/batch',
      methods: {
        PUT: async (c) => {
          const { memories } = parseRequest(HostedBatchUpdateSchema, await body(c), 'body');
          for (const item of memories) await updateMemory(memory, item.memory_id, { text: item.text, options: { metadata: item.metadata } }, {});
          return { message: `Successfully updated ${memories.length} memories` };
        },
        DELETE: async (c) => {
          const { memories } = parseRequest(HostedBatchDeleteSchema, await body(c), 'body');
          for (const item of memories) await memory.delete(item.memory_id);
          return { message: `Successfully deleted ${memories.length} memories` };
        },
      },
    },
    {
      path: '/v1/entities',
      methods: {
        GET: async (c) => {
          const paging = parseRequest(PagingQuerySchema, query(c), 'query');
          const page = paging.page ?? 1;
          const pageSize = Math.min(paging.page_size ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
          const { results, total } = await memory.scopes({ limit: pageSize, offset: (page - 1) * pageSize });
          return { count: total, ...pageLinks(c, page, pageSize, total), results: results.map(toWireOwner) };
        },
      },
    },
    { path: '/v1/entities/:type/:id', methods: { DELETE: async (c) => forgetOwner(memory, idOf(c, 'type'), idOf(c)) } },
    { path: '/v2/entities/:type/:id', methods: { DELETE: async (c) => forgetOwner(memory, idOf(c, 'type'), idOf(c)) } },
    {
      path: '/v1/event/:id',
      methods: {
        GET: async (c) => {
          const job = await memory.job(idOf(c));
          if (!job) throw new EngramError('NOT_FOUND', `no event with id ${idOf(c)}`);
          return toWireEventOfJob(job);
        },
      },
    },
  ];
}

/** One page of a list, as the list routes ask for it. */
type ListRequest = Pick<GetAllOptions, 'createdAt' | 'updatedAt' | 'ids'> & { scope: Scope; filters?: MetadataFilter | undefined; page?: number | undefined; pageSize?: number | undefined };

const OWNER_SCOPE: Readonly<Record<string, keyof Scope>> = { user: 'userId', agent: 'agentId', run: 'runId' };

/** Mem0's "delete entity": everything of that user, agent or run is erased (Memory.forget), not just closed. */
async function forgetOwner(memory: Memory, type: string, id: string) {
  const key = OWNER_SCOPE[type];
  if (!key) throw new EngramError('INVALID_INPUT', `entity type "${type}" is not one of user, agent, run (Engram has no apps)`);
  const erased = await memory.forget({ [key]: id });
  return { message: 'Entity deleted successfully.', erased };
}

/** A user, agent or run as Mem0's `GET /v1/entities/` lists it. */
function toWireOwner(owner: ScopeOwner) {
  return {
    id: `${owner.type}:${owner.id}`,
    name: owner.id,
    type: owner.type,
    total_memories: owner.memories,
    created_at: owner.createdAt,
    updated_at: owner.updatedAt,
    owner: null,
    metadata: null,
  };
}

const EVENT_STATUS: Readonly<Record<Job['status'], string>> = { queued: 'PENDING', running: 'RUNNING', done: 'SUCCEEDED', failed: 'FAILED', cancelled: 'FAILED' };

/** A queued add as Mem0's event (`GET /v1/event/{id}/`). */
function toWireEventOfJob(job: Job) {
  return {
    id: job.id,
    event_type: 'ADD',
    status: EVENT_STATUS[job.status],
    results: job.results?.map(toWireEvent) ?? [],
    error: job.error ?? null,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    completed_at: job.finishedAt ?? null,
  };
}

function pageLinks(c: ServerContext, page: number, pageSize: number, count: number) {
  return { next: page * pageSize < count ? pageUrl(c, page + 1, pageSize) : null, previous: page > 1 ? pageUrl(c, page - 1, pageSize) : null };
}

function pageUrl(c: ServerContext, page: number, pageSize: number): string {
  const url = new URL(c.req.url);
  url.searchParams.set('page', String(page));
  url.searchParams.set('page_size', String(pageSize));
  return url.toString();
}
