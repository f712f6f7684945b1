import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Memory } from '../index.js';
import { createMcpHttpHandler, jsonRpcError, serverForRoute, type McpHttpHandlerOptions, type McpHttpRoute } from './http-handler.js';
import { WebSseServerTransport } from './sse-transport.js';

/** MCP at OpenMemory's `/mcp/{client}/sse/{userId}`: the older SSE transport, with Streamable HTTP on the same URL. */
export type McpSseHandler = {
  /**
   * GET opens a session: an event stream whose first event names the URL to
   * POST to (this URL with `?session_id=…`). POST with `session_id` (or the
   * TypeScript SDK's `sessionId`) delivers a message of that session: 202, the
   * answer goes out on its stream. POST without one is Streamable HTTP, as at
   * `/mcp/{client}/http/{userId}`, so a client that tries Streamable HTTP
   * first works with an OpenMemory SSE URL too.
   */
  handle: (request: Request, route: McpHttpRoute) => Promise<Response>;
  /** Ends every open event stream and its MCP server. Call it before closing the HTTP server, which otherwise waits for the streams. */
  close: () => Promise<void>;
  /** How many sessions have their event stream open. */
  readonly openSessions: number;
};

type Session = { userId: string; server: McpServer; transport: WebSseServerTransport };

/**
 * The SSE transport OpenMemory's install commands configure
 * (`npx @openmemory/install local http://localhost:8765/mcp/<client>/sse/<user>`).
 * Each GET gets its own MCP server scoped to the user of its URL; a session's
 * messages are only taken at the URL of the same user. Sessions live in this
 * process, so it must serve both the GET and its POSTs.
 *
 * @example
 * const sse = createMcpSseHandler(memory, {});
 * app.all('/mcp/:client/sse/:userId', (c) => sse.handle(c.req.raw, c.req.param()));
 * // on shutdown: await sse.close();
 */
export function createMcpSseHandler(memory: Memory, options: McpHttpHandlerOptions): McpSseHandler {
  const sessions = new Map<string, Session>();
  const streamable = createMcpHttpHandler(memory, options);
  const maxBodySize = options.maxRequestBodySize ?? 4 * 1024 * 1024;

  const open = async (request: Request, route: McpHttpRoute): Promise<Response> => {
    const server = serverForRoute(memory, options, route, 'sse');
    if (server instanceof Response) return server;
    const transport = new WebSseServerTransport(new URL(request.url).pathname);
    sessions.set(transport.sessionId, { userId: route.userId, server, transport });
    server.server.onclose = () => sessions.delete(transport.sessionId);
    await server.connect(transport);
    return transport.response;
  };

  const deliver = async (request: Request, route: McpHttpRoute, sessionId: string): Promise<Response> => {
    const session = sessions.get(sessionId);
    // Another user's session is as unknown as a closed one.
    if (session === undefined || session.userId !== route.userId) return jsonRpcError(404, -32001, 'Session not found: open a new one with GET');
    let body = route.parsedBody;
    if (body === undefined) {
      const text = await request.text();
      if (Buffer.byteLength(text) > maxBodySize) return jsonRpcError(413, -32000, `Request body larger than ${maxBodySize} bytes`);
      try {
        body = JSON.parse(text);
      } catch {
        return jsonRpcError(400, -32700, 'Parse error: invalid JSON');
      }
    }
    if (!session.transport.receive(body)) return jsonRpcError(400, -32700, 'Parse error: not a JSON-RPC message');
    return new Response('Accepted', { status: 202, headers: { 'Content-Type': 'text/plain' } });
  };

  return {
    handle: async (request, route) => {
      const query = new URL(request.url).searchParams;
      const sessionId = query.get('session_id') ?? query.get('sessionId');
      if (request.method === 'GET') return open(request, route);
      if (request.method === 'POST') return sessionId === null ? streamable(request, route) : deliver(request, route, sessionId);
      return jsonRpcError(405, -32000, 'Method not allowed: GET opens an event stream, POST sends messages', { Allow: 'GET, POST' });
    },
    close: async () => {
      await Promise.all([...sessions.values()].map((session) => session.server.close()));
      sessions.clear();
    },
    get openSessions() {
      return sessions.size;
    },
  };
}
