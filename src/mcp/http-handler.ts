import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isEngramError, type Memory } from '../index.js';
import { createMcpServer, type EngramMcpServerOptions } from './create-mcp-server.js';

/** What the HTTP handler takes from the server it is mounted in; the scope comes from each request's URL. */
export type McpHttpHandlerOptions = Pick<EngramMcpServerOptions, 'explainError' | 'queueAdds' | 'version'> & {
  /**
   * The most bytes of a request body the transport reads (413 above). The
   * REST server's own limit, if lower, applies first.
   * @default 4 MiB (the MCP SDK's)
   */
  maxRequestBodySize?: number | undefined;
};

/** Where a request goes, from OpenMemory's URL `/mcp/{client}/http/{userId}`. */
export type McpHttpRoute = {
  /** Whose memories every tool of this request uses. */
  userId: string;
  /** The MCP client's name (`cursor`, `claude`, …), recorded on added memories as `metadata.mcp_client`. */
  client: string;
  /** The JSON body, when the server already read it; otherwise the handler reads `request`'s body, which must be unread. */
  parsedBody?: unknown;
};

/** Answers one HTTP request to the MCP endpoint. */
export type McpHttpHandler = (request: Request, route: McpHttpRoute) => Promise<Response>;

/**
 * MCP over Streamable HTTP, stateless, for a server to mount at OpenMemory's
 * `/mcp/{client}/http/{userId}`: each POST gets a fresh MCP server scoped to
 * the user of its URL (a client can neither read nor name another user) and
 * is answered with JSON; GET (a server-to-client event stream) and DELETE
 * (ending a session) are 405, as a stateless server answers them. Web-standard
 * Request and Response, so it drops into Hono:
 * `app.all('/mcp/:client/http/:userId', (c) => handler(c.req.raw, c.req.param()))`.
 * Authentication, Origin checks and body limits are the mounting server's.
 * It does not own the Memory.
 *
 * @example
 * const handler = createMcpHttpHandler(memory, {});
 * const response = await handler(request, { userId: 'alice', client: 'cursor' });
 */
export function createMcpHttpHandler(memory: Memory, options: McpHttpHandlerOptions): McpHttpHandler {
  return async (request, route) => {
    if (request.method !== 'POST') {
      return jsonRpcError(405, -32000, 'Method not allowed: this MCP endpoint is stateless; send requests with POST', { Allow: 'POST' });
    }
    const server = serverForRoute(memory, options, route, 'http');
    if (server instanceof Response) return server;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      // One JSON answer per POST: the request is over when the tools are, and the per-request server can close.
      enableJsonResponse: true,
      maxRequestBodySize: options.maxRequestBodySize,
    });
    try {
      await server.connect(transport);
      return await transport.handleRequest(request, route.parsedBody === undefined ? undefined : { parsedBody: route.parsedBody });
    } finally {
      await server.close();
    }
  };
}

/**
 * A fresh MCP server for one request or session, scoped to the user of the
 * URL (never one a client names); a 400 answer when the URL's user id is not a
 * valid one.
 */
export function serverForRoute(memory: Memory, options: McpHttpHandlerOptions, route: McpHttpRoute, transport: 'http' | 'sse'): McpServer | Response {
  try {
    return createMcpServer(memory, {
      scope: { userId: route.userId },
      allowScopeOverride: false,
      explainError: options.explainError,
      queueAdds: options.queueAdds,
      version: options.version,
      client: route.client === '' ? undefined : route.client,
    });
  } catch (error) {
    if (!isEngramError(error, 'INVALID_INPUT')) throw error;
    return jsonRpcError(400, -32602, `${error.message}: the user id is the last part of the URL, /mcp/<client>/${transport}/<user id>`);
  }
}

/** A JSON-RPC error as an HTTP answer, for requests refused before any MCP server sees them. */
export function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}
