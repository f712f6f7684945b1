import type { IncomingMessage } from 'node:http';
import { EngramError, type Memory } from '../index.js';
import { readJsonBody } from './body.js';
import {
  toWireEntity,
  toWireEvent,
  toWireHistoryEntry,
  toWireJob,
  toWireMemory,
  toWireNeighbourhood,
  toWireRelation,
  toWireScoredMemory,
} from './mem0-mapping.js';
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
  SearchBodySchema,
  UpdateBodySchema,
} from './request-schemas.js';

/** What a handler gets: the store, the request, the path parameters and the query. */
export type RouteContext = {
  memory: Memory;
  req: IncomingMessage;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  maxBodyBytes: number;
  version: string;
  /** Whether an inferring add may be queued now (see ServerOptions.queueAdds). */
  queueAdds: () => boolean;
};

/** A JSON body answered with another success status than 200. */
export class Answer {
  constructor(
    readonly status: 202,
    readonly body: unknown,
  ) {}
}

/** A handler returns the JSON body of a 200 answer, or an `Answer`, or throws. */
type Handler = (ctx: RouteContext) => Promise<unknown>;

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

export type Route = {
  /** Segments; `:name` captures one (URL-decoded). */
  path: string;
  /** Answered without a token even when the server has one. */
  public?: boolean;
  methods: Partial<Record<Method, Handler>>;
};

const body = (ctx: RouteContext) => readJsonBody(ctx.req, ctx.maxBodyBytes);
const query = (ctx: RouteContext) => queryObject(ctx.query);
const idOf = (ctx: RouteContext) => ctx.params.id as string;
/** The id routes' optional `?user_id=&agent_id=&run_id=`: a memory outside the scope is NOT_FOUND. */
const idScope = (ctx: RouteContext) => parseRequest(ScopeQuerySchema, query(ctx), 'query');

export const QUEUED_MESSAGE = 'queued: the memories will be extracted in the background';

/** Mem0's REST routes (server/main.py) over the Memory API, plus `GET /health`, the queue's `/jobs` and the entity graph's `/graph`. */
export const ROUTES: readonly Route[] = [
  {
    path: '/health',
    public: true,
    methods: { GET: async (ctx) => ({ status: 'ok', version: ctx.version }) },
  },
  {
    path: '/memories',
    methods: {
      POST: async (ctx) => {
        const { messages, options, asyncMode } = parseRequest(AddBodySchema, await body(ctx), 'body');
        requireScope(options);
        // Without inference nothing waits for the LLM: async_mode answers 200 with the results, as Mem0's server does.
        if (asyncMode && options.infer !== false && ctx.queueAdds()) {
          const { jobId } = await ctx.memory.add(messages, { ...options, wait: false });
          // Mem0's hosted API answers { event_id, status: 'PENDING' }; job_id names it for GET /jobs/:id.
          return new Answer(202, { event_id: jobId, job_id: jobId, status: 'PENDING', message: QUEUED_MESSAGE });
        }
        const { results, droppedOperations } = await ctx.memory.add(messages, { ...options, wait: true });
        return { results: results.map(toWireEvent), dropped_operations: droppedOperations };
      },
      GET: async (ctx) => {
        const { results } = await ctx.memory.getAll(requireScope(parseRequest(ListQuerySchema, query(ctx), 'query')));
        return { results: results.map(toWireMemory) };
      },
      DELETE: async (ctx) => {
        const { deleted } = await ctx.memory.deleteAll(requireScope(parseRequest(ScopeQuerySchema, query(ctx), 'query')));
        return { message: 'All relevant memories deleted', deleted };
      },
    },
  },
  {
    path: '/memories/:id',
    methods: {
      GET: async (ctx) => {
        const item = await ctx.memory.get(idOf(ctx), idScope(ctx));
        // Mem0 answers 200 with null here; a 404 is what an HTTP client can act on.
        if (!item) throw new EngramError('NOT_FOUND', `no current memory with id ${idOf(ctx)}`);
        return toWireMemory(item);
      },
      PUT: async (ctx) => {
        const scope = idScope(ctx);
        const { text, options } = parseRequest(UpdateBodySchema, await body(ctx), 'body');
        return toWireMemory(await ctx.memory.update(idOf(ctx), text, { ...options, ...scope }));
      },
      DELETE: async (ctx) => {
        await ctx.memory.delete(idOf(ctx), idScope(ctx));
        return { message: 'Memory deleted successfully' };
      },
    },
  },
  {
    path: '/memories/:id/history',
    methods: { GET: async (ctx) => (await ctx.memory.history(idOf(ctx), idScope(ctx))).map(toWireHistoryEntry) },
  },
  {
    path: '/search',
    methods: {
      POST: async (ctx) => {
        const { query: text, options } = parseRequest(SearchBodySchema, await body(ctx), 'body');
        const { results, relations } = await ctx.memory.search(text, requireScope(options));
        // With the entity graph, the relations around the query's entities too (as Mem0's graph search returns them).
        return { results: results.map(toWireScoredMemory), ...(relations ? { relations: relations.map(toWireRelation) } : {}) };
      },
    },
  },
  {
    path: '/jobs',
    methods: {
      GET: async (ctx) => {
        const { results, counts } = await ctx.memory.jobs(parseRequest(JobListQuerySchema, query(ctx), 'query'));
        return { results: results.map(toWireJob), counts };
      },
    },
  },
  {
    path: '/jobs/:id',
    methods: {
      GET: async (ctx) => {
        const job = await ctx.memory.job(idOf(ctx), idScope(ctx));
        if (!job) throw new EngramError('NOT_FOUND', `no job with id ${idOf(ctx)}`);
        return toWireJob(job);
      },
    },
  },
  {
    path: '/jobs/:id/retry',
    methods: { POST: async (ctx) => toWireJob(await ctx.memory.retryJob(idOf(ctx), idScope(ctx))) },
  },
  {
    path: '/jobs/:id/cancel',
    methods: { POST: async (ctx) => toWireJob(await ctx.memory.cancelJob(idOf(ctx), idScope(ctx))) },
  },
  {
    path: '/graph/entities',
    methods: {
      GET: async (ctx) => {
        const { results } = await ctx.memory.graph.entities(requireScope(parseRequest(GraphEntitiesQuerySchema, query(ctx), 'query')));
        return { results: results.map(toWireEntity) };
      },
    },
  },
  {
    path: '/graph/relations',
    methods: {
      GET: async (ctx) => {
        const { results } = await ctx.memory.graph.relations(requireScope(parseRequest(GraphRelationsQuerySchema, query(ctx), 'query')));
        return { results: results.map(toWireRelation) };
      },
    },
  },
  {
    path: '/graph/neighbours/:entity',
    methods: {
      GET: async (ctx) => {
        const options = requireScope(parseRequest(GraphNeighboursQuerySchema, query(ctx), 'query'));
        return toWireNeighbourhood(await ctx.memory.graph.neighbours(ctx.params.entity as string, options));
      },
    },
  },
  {
    path: '/graph/merge',
    methods: {
      POST: async (ctx) => {
        const { from, into, scope } = parseRequest(GraphMergeBodySchema, await body(ctx), 'body');
        return toWireEntity(await ctx.memory.graph.merge(from, into, requireScope(scope)));
      },
    },
  },
  {
    path: '/reset',
    methods: {
      POST: async (ctx) => {
        await ctx.memory.reset();
        return { message: 'All memories reset' };
      },
    },
  },
];

/**
 * The route whose path matches `pathname` (a trailing slash is ignored, as
 * Mem0's platform URLs end in one), with its captured parameters; or null.
 * A malformed percent-escape in a parameter is INVALID_INPUT.
 */
export function matchRoute(pathname: string): { route: Route; params: Record<string, string> } | null {
  const segments = pathname.replace(/\/+$/, '').split('/').slice(1);
  for (const route of ROUTES) {
    const params = matchSegments(route.path.split('/').slice(1), segments);
    if (params) return { route, params };
  }
  return null;
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: [string, string][] = [];
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] as string;
    if (part.startsWith(':')) {
      if (segment === '') return null;
      params.push([part.slice(1), segment]);
    } else if (part !== segment) {
      return null;
    }
  }
  return Object.fromEntries(params.map(([name, raw]) => [name, decodeSegment(raw)]));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw new EngramError('INVALID_INPUT', `the path segment "${segment}" is not valid percent-encoding`, { cause: error });
  }
}

/** The methods a route answers, for a 405's `Allow` header. */
export function allowedMethods(route: Route): string {
  return METHODS.filter((method) => route.methods[method] !== undefined).join(', ');
}

export function isMethod(value: string | undefined): value is Method {
  return (METHODS as readonly string[]).includes(value ?? '');
}
