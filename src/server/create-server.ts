import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { z } from 'zod';
import { EngramError, type Memory } from '../index.js';
import { TokenSchema } from './auth.js';
import { createApp, type RequestErrorReport } from './create-app.js';
import { declaresTooLarge, DEFAULT_MAX_BODY_BYTES } from './json-body.js';
import { packageVersion } from '../version.js';

export type { RequestErrorReport };

export const ServerOptionsSchema = z.strictObject({
  /**
   * When set, every request except `GET /health` needs the token, as
   * `Authorization: Bearer <token>`, `Authorization: Token <token>` (Mem0's
   * clients) or `X-API-Key: <token>`. Without one, only loopback callers that
   * are not web pages of another origin are served.
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
   * Whether an inferring add with `async_mode: true` (Mem0's hosted routes:
   * by default) queues now (`POST /memories` answers 202); when false, such an
   * add waits for the LLM and answers its results or its error. Queue only when
   * something works the queue: this Memory's worker (it has an LLM) or `engram
   * worker` processes. A function is asked at each request. `engram serve` says
   * false while it has no LLM file and no `--no-worker`. @default true
   */
  queueAdds: z.union([z.boolean(), z.custom<() => boolean>((v) => typeof v === 'function', { error: 'queueAdds must be a boolean or a function' })]).default(true),
  /**
   * MCP at OpenMemory's URLs, behind the same token and loopback guard:
   * Streamable HTTP at `/mcp/<client>/http/<user>`, SSE (and Streamable HTTP)
   * at `/mcp/<client>/sse/<user>`; the user of the URL is every tool's scope.
   * `false` leaves them out; `explainError` rewrites tool errors as the REST
   * option does answers. @default true
   */
  mcp: z
    .union([
      z.boolean(),
      z.strictObject({
        explainError: z.custom<(error: unknown) => unknown>((v) => typeof v === 'function', { error: 'mcp.explainError must be a function' }).optional(),
      }),
    ])
    .default(true),
  /**
   * The local page at `/` (see and correct what is remembered), served from
   * the package's `dist/ui/`. It holds no memory itself: it asks the API with
   * the token the person gives it. @default true
   */
  page: z.boolean().default(true),
  /** Called for every request answered with an error (status ≥ 400), and for every request the client abandoned (499). */
  onError: z.custom<(report: RequestErrorReport) => void>((v) => typeof v === 'function', { error: 'onError must be a function' }).optional(),
});
export type ServerOptions = z.input<typeof ServerOptionsSchema>;

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
  const config = { ...parsed.data, version: parsed.data.version ?? packageVersion() };
  const { app, closeStreams } = createApp(memory, config);
  // overrideGlobalObjects: false — a library must not replace the process's global Request and Response.
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // Once close() is called, answer and hang up, so a keep-alive client does not hold the shutdown open.
    res.on('finish', () => server.listening || server.closeIdleConnections());
    void listener(req, res);
  };
  const server = createHttpServer(onRequest);
  // Without this listener Node says "100 Continue" to every `Expect: 100-continue`,
  // and the client streams a body the 413 then refuses into a closing connection.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaresTooLarge(req, config.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  // Open MCP event streams would hold close() for its whole grace period: they end first.
  const close = server.close.bind(server);
  server.close = (callback?: (error?: Error) => void) => {
    void closeStreams().finally(() => server.closeIdleConnections());
    return close(callback);
  };
  return server;
}
