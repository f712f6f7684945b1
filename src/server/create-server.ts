import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { EngramError, type Memory } from '../index.js';
import { requireBearer, requireLocalCaller, TokenSchema } from './auth.js';
import { declaresTooLarge, DEFAULT_MAX_BODY_BYTES, isRequestAborted } from './body.js';
import { HttpError, toErrorResponse } from './http-errors.js';
import { allowedMethods, Answer, isMethod, matchRoute, type RouteContext } from './routes.js';
import { packageVersion } from '../version.js';

/**
 * One failed request, for whoever runs the server (the library itself never
 * logs). A request the client abandoned mid-body is reported too, as status
 * 499 and code `REQUEST_ABORTED`, though nothing is answered.
 */
export type RequestErrorReport = { method: string; path: string; status: number; code: string; error: unknown };

export const ServerOptionsSchema = z.strictObject({
  /**
   * When set, every request except `GET /health` needs `Authorization: Bearer <token>`.
   * Without one, only loopback callers that are not web pages of another origin are served.
   */
  token: TokenSchema.optional(),
  /**
   * Largest request body, in bytes; larger ones get 413.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes: z.number().int().min(1).max(1_073_741_824).default(DEFAULT_MAX_BODY_BYTES),
  /** Reported by `GET /health`. @default Engram's package version */
  version: z.string().optional(),
  /** Rewrites an error before it is answered, e.g. to phrase its fix in the terms of whoever runs the server (`engram serve` does). */
  explainError: z.custom<(error: unknown) => unknown>((v) => typeof v === 'function', { error: 'explainError must be a function' }).optional(),
  /**
   * Whether `POST /memories` with `async_mode: true` queues an inferring add
   * (202) now; when false, such an add waits for the LLM as without async_mode
   * and answers its error. Queue only when something works the queue: this
   * Memory's worker (it has an LLM) or `engram worker` processes. A function
   * is asked at each request. `engram serve` says false while it has no LLM
   * file and no `--no-worker`. @default true
   */
  queueAdds: z.union([z.boolean(), z.custom<() => boolean>((v) => typeof v === 'function', { error: 'queueAdds must be a boolean or a function' })]).default(true),
  /** Called for every request answered with an error (status ≥ 400), and for every request the client abandoned (499). */
  onError: z.custom<(report: RequestErrorReport) => void>((v) => typeof v === 'function', { error: 'onError must be a function' }).optional(),
});
export type ServerOptions = z.input<typeof ServerOptionsSchema>;
type ServerConfig = z.output<typeof ServerOptionsSchema> & { version: string };

/**
 * A Mem0-compatible REST server over `memory` (not yet listening: call
 * `listen`, or use `startServer`, which also enforces the binding rule).
 * Closing the server does not close the memory.
 *
 * @example
 * const server = createServer(memory, { token: process.env.ENGRAM_TOKEN });
 * server.listen(8765, '127.0.0.1');
 */
export function createServer(memory: Memory, options: ServerOptions = {}): Server {
  const parsed = ServerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new EngramError('INVALID_INPUT', parsed.error.issues.map((i) => `options.${i.path.join('.')}: ${i.message}`).join('; '), {
      cause: parsed.error,
    });
  }
  const config: ServerConfig = { ...parsed.data, version: parsed.data.version ?? packageVersion() };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // Once close() is called, answer and hang up, so a keep-alive client does not hold the shutdown open.
    res.on('finish', () => server.listening || server.closeIdleConnections());
    void handle(memory, config, req, res);
  };
  const server = createHttpServer(onRequest);
  // Without this listener Node says "100 Continue" to every `Expect: 100-continue`,
  // and the client streams a body the 413 then refuses into a closing connection.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaresTooLarge(req, config.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  return server;
}

async function handle(memory: Memory, config: ServerConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const { handler, context } = routeRequest(memory, config, req, requestUrl(req));
    const answer = await handler(context);
    if (answer instanceof Answer) send(res, answer.status, answer.body);
    else send(res, 200, answer);
  } catch (error) {
    const response = toErrorResponse(config.explainError ? config.explainError(error) : error);
    const path = (req.url ?? '').split('?')[0] ?? '';
    config.onError?.({ method: req.method ?? '', path, status: response.status, code: response.body.error.code, error });
    // A client that hung up is not answered: no one is left to read it.
    if (!isRequestAborted(error)) send(res, response.status, response.body, response.headers);
  }
}

function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch (error) {
    throw new EngramError('INVALID_INPUT', 'the request URL is malformed', { cause: error });
  }
}

/** Who may ask (guards, token), then which handler answers (404, 405). */
function routeRequest(memory: Memory, config: ServerConfig, req: IncomingMessage, url: URL) {
  if (config.token === undefined) requireLocalCaller(req.headers);
  const match = matchRoute(url.pathname);
  const open = match?.route.public === true && req.method === 'GET';
  if (config.token !== undefined && !open) requireBearer(req.headers, config.token);
  if (!match) throw new HttpError(404, 'ROUTE_NOT_FOUND', `no route ${url.pathname}; see the README's REST server section`);
  const handler = isMethod(req.method) ? match.route.methods[req.method] : undefined;
  if (!handler) {
    const allow = allowedMethods(match.route);
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}; use ${allow}`, { allow });
  }
  const { queueAdds } = config;
  const context: RouteContext = {
    memory,
    req,
    params: match.params,
    query: url.searchParams,
    maxBodyBytes: config.maxBodyBytes,
    version: config.version,
    queueAdds: typeof queueAdds === 'function' ? queueAdds : () => queueAdds,
  };
  return { handler, context };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}
