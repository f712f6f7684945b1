import { Hono } from 'hono';
import { EngramError, type Memory } from '../index.js';
import { requireLocalCaller, requireToken } from './auth.js';
import { createMcpHttpHandler } from '../mcp/http-handler.js';
import { createMcpSseHandler } from '../mcp/sse-handler.js';
import { engramRoutes } from './engram-routes.js';
import { hostedRoutes } from './hosted-routes.js';
import { pageRoutes } from './page-routes.js';
import { HttpError, toErrorResponse } from './http-errors.js';
import { isRequestAborted, readJsonValue } from './json-body.js';
import { isPublic, jsonResponse, mountRoutes, type Route, type ServerContext, type ServerEnv } from './route-table.js';

/** One failed request, as `ServerOptions.onError` receives it. */
export type RequestErrorReport = { method: string; path: string; status: number; code: string; error: unknown };

/** What the app needs: the parsed server options. */
export type AppConfig = {
  token?: string | undefined;
  maxBodyBytes: number;
  version: string;
  explainError?: ((error: unknown) => unknown) | undefined;
  queueAdds: boolean | (() => boolean);
  onError?: ((report: RequestErrorReport) => void) | undefined;
  mcp: boolean | { explainError?: ((error: unknown) => unknown) | undefined };
  page: boolean;
};

/**
 * The REST server as a Hono app: who may ask (loopback guard or token),
 * the local page, Engram's routes and the routes of Mem0's hosted API,
 * and one error shape `{ error: { code, message } }` for every failure.
 */
export function createApp(memory: Memory, config: AppConfig): { app: Hono<ServerEnv>; closeStreams: () => Promise<void> } {
  const { queueAdds } = config;
  const deps = { memory, version: config.version, maxBodyBytes: config.maxBodyBytes, queueAdds: typeof queueAdds === 'function' ? queueAdds : () => queueAdds };
  const routes: Route[] = [...(config.page ? pageRoutes() : []), ...engramRoutes(deps), ...hostedRoutes(deps)];
  // strict: false — Mem0's platform URLs end in a slash, Engram's do not; both are served.
  const app = new Hono<ServerEnv>({ strict: false });

  app.use('*', async (c, next) => {
    requireWellFormedPath(c);
    const headers = c.req.header();
    if (config.token === undefined) requireLocalCaller(headers);
    else if (!isPublic(routes, c.req.method, c.req.path)) requireToken(headers, config.token);
    await next();
  });
  mountRoutes(app, routes);
  const closeStreams = config.mcp === false ? async () => undefined : mountMcp(app, memory, config, deps.queueAdds);
  app.notFound((c) => {
    throw new HttpError(404, 'ROUTE_NOT_FOUND', `no route ${c.req.path}; see the README's REST server section`);
  });
  app.onError((error, c) => answerError(c, config, error));
  return { app, closeStreams };
}

/** OpenMemory's MCP URLs; returns what ends the open SSE sessions. */
function mountMcp(app: Hono<ServerEnv>, memory: Memory, config: AppConfig, queueAdds: () => boolean): () => Promise<void> {
  const options = {
    queueAdds,
    version: config.version,
    maxRequestBodySize: config.maxBodyBytes,
    explainError: typeof config.mcp === 'object' ? config.mcp.explainError : undefined,
  };
  const http = createMcpHttpHandler(memory, options);
  const sse = createMcpSseHandler(memory, options);
  // A POST's body is read here, under the server's size and depth limits, and handed over parsed.
  const route = async (c: ServerContext) => ({
    client: c.req.param('client') as string,
    userId: c.req.param('userId') as string,
    ...(c.req.method === 'POST' ? { parsedBody: await readJsonValue(c, config.maxBodyBytes) } : {}),
  });
  app.all('/mcp/:client/http/:userId', async (c) => http(c.req.raw, await route(c)));
  app.all('/mcp/:client/sse/:userId', async (c) => sse.handle(c.req.raw, await route(c)));
  return () => sse.close();
}

function answerError(c: ServerContext, config: AppConfig, error: unknown): Response {
  const response = toErrorResponse(config.explainError ? config.explainError(error) : error);
  config.onError?.({ method: c.req.method, path: c.req.path, status: response.status, code: response.body.error.code, error });
  // A client that hung up is not answered (no one is left to read it); Hono still wants a Response.
  if (isRequestAborted(error)) return new Response(null, { status: 400 });
  // Mem0's clients show an error's `detail` (its hosted API is Django REST framework's); Engram's own routes keep one shape.
  const body = HOSTED_PATH.test(c.req.path) ? { ...response.body, detail: response.body.error.message } : response.body;
  return jsonResponse(response.status, body, response.headers);
}

const HOSTED_PATH = /^\/v[123]\//;

/** A malformed percent-escape in the path is the client's mistake (400), not a route that does not exist. */
function requireWellFormedPath(c: ServerContext): void {
  const path = new URL(c.req.url).pathname;
  try {
    decodeURIComponent(path);
  } catch (error) {
    throw new EngramError('INVALID_INPUT', `the path "${path}" is not valid percent-encoding`, { cause: error });
  }
}
