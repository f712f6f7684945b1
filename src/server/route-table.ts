import type { Context, Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { HttpError } from './http-errors.js';

/** What every handler's context carries: the Node request beneath (for the JSON reader's abort check). */
export type ServerEnv = { Bindings: HttpBindings };
export type ServerContext = Context<ServerEnv>;

/** A JSON body answered with another success status than 200. */
export class Answer {
  constructor(
    readonly status: 202,
    readonly body: unknown,
  ) {}
}

/** A handler returns the JSON body of a 200 answer, an `Answer`, a whole `Response` (a stream, a download), or throws. */
export type Handler = (c: ServerContext) => Promise<unknown>;

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

/** One path and the handler of each method it answers. Paths are Hono's (`:id` captures one segment). */
export type Route = {
  path: string;
  /** Answered without a token even when the server has one (GET only). */
  public?: boolean;
  methods: Partial<Record<Method, Handler>>;
};

/** Every JSON answer carries these: nothing is cached, nothing is sniffed as HTML. */
export const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/**
 * Mounts each route's handlers on `app`, and answers any other method on the
 * same path with 405 and an `Allow` header (Hono alone would answer 404).
 */
export function mountRoutes(app: Hono<ServerEnv>, routes: readonly Route[]): void {
  for (const route of routes) {
    for (const method of METHODS) {
      const handler = route.methods[method];
      if (!handler) continue;
      app.on(method, route.path, async (c) => {
        const answer = await handler(c);
        if (answer instanceof Response) return answer;
        return answer instanceof Answer ? jsonResponse(answer.status, answer.body) : jsonResponse(200, answer);
      });
    }
    const allow = METHODS.filter((method) => route.methods[method] !== undefined).join(', ');
    app.all(route.path, (c) => {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`, { allow });
    });
  }
}

/** Whether `method path` is a public route's: answered without a token. */
export function isPublic(routes: readonly Route[], method: string, path: string): boolean {
  const bare = path.replace(/\/+$/, '') || '/';
  return method === 'GET' && routes.some((route) => route.public === true && route.path === bare);
}
