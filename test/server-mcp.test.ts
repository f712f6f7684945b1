import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { call, jsonOf } from './support/mcp-client.js';
import { startTestServer } from './support/rest-server.js';

/**
 * `engram serve` speaks MCP at OpenMemory's URLs, behind the REST server's
 * guards: the token (as a client's configured header), the loopback and Origin
 * checks without one; and closing the server ends open SSE sessions.
 */

const TOKEN = 'engram-test-token-0123456789abcdef';
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function connect(url: URL, transport: 'http' | 'sse', headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'engram-serve-mcp-test', version: '0.0.0' });
  const requestInit = { headers };
  await client.connect(transport === 'http' ? new StreamableHTTPClientTransport(url, { requestInit }) : new SSEClientTransport(url, { requestInit, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) } }));
  clients.push(client);
  return client;
}

describe('MCP on engram serve', () => {
  it('with a token: a client sending it adds and searches the memories of the URL’s user; without it, 401', async () => {
    const { server, memory } = await startTestServer({ server: { token: TOKEN } });
    const url = new URL('/mcp/cursor/http/alice', server.url);
    const alice = await connect(url, 'http', { authorization: `Bearer ${TOKEN}` });
    await call(alice, 'add_memories', { text: 'I am allergic to penicillin.', infer: false });
    expect((await memory.getAll({ userId: 'alice' })).results.map((m) => m.memory)).toEqual(['I am allergic to penicillin.']);
    const found = jsonOf<{ results: { memory: string }[] }>(await call(alice, 'search_memory', { query: 'antibiotics' }));
    expect(found.results[0]?.memory).toBe('I am allergic to penicillin.');

    await expect(connect(url, 'http')).rejects.toThrow(/UNAUTHORIZED/);
    const raw = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(raw.status).toBe(401);
  });

  it('without a token, a web page of another origin is refused (403) as on every route', async () => {
    const { server } = await startTestServer();
    const reply = await fetch(new URL('/mcp/cursor/http/alice', server.url), {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(reply.status).toBe(403);
  });

  it('reads MCP bodies under the server’s --max-body: 413 for one declared or streamed over it, and nothing is added', async () => {
    const { server, memory } = await startTestServer({ server: { maxBodyBytes: 2048 } });
    const call = (text: string, chunked: boolean) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_memories', arguments: { text, infer: false } } });
      const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) });
      return fetch(new URL('/mcp/cursor/http/alice', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: chunked ? stream : body,
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
    };
    expect((await call('x'.repeat(4096), false)).status).toBe(413);
    expect((await call('x'.repeat(4096), true)).status).toBe(413);
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    expect((await call('I like jazz.', true)).status).toBe(200);
    expect((await memory.getAll({ userId: 'alice' })).results).toHaveLength(1);
  });

  it('serves OpenMemory’s SSE URL, keeps users apart, and close() ends the open session instead of waiting on it', async () => {
    const { server, memory } = await startTestServer();
    const alice = await connect(new URL('/mcp/claude/sse/alice', server.url), 'sse');
    const bob = await connect(new URL('/mcp/claude/sse/bob', server.url), 'sse');
    await call(alice, 'add_memories', { text: 'I like jazz.', infer: false });
    expect(jsonOf<unknown[]>(await call(bob, 'list_memories'))).toEqual([]);
    expect((await memory.getAll({ userId: 'alice' })).results).toHaveLength(1);

    // Open event streams would hold close() for the whole grace period: past the test's timeout.
    await server.close(600_000);
    expect(server.server.listening).toBe(false);
  });
});
