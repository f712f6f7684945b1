import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { createMcpHttpHandler, type McpHttpHandlerOptions } from '../src/mcp/http-handler.js';
import { createMcpSseHandler, type McpSseHandler } from '../src/mcp/sse-handler.js';
import { call, jsonOf, textOf } from './support/mcp-client.js';
import { openTestMemory } from './support/test-memory.js';

/**
 * MCP over Streamable HTTP at OpenMemory's URL, `/mcp/{client}/http/{userId}`,
 * mounted in a Hono app as the REST server mounts it: the user of the URL is
 * the scope of every tool, and a client configured for OpenMemory works as is.
 */

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A Hono app on a free loopback port serving the handlers at OpenMemory's paths; its base URL (and the SSE handler). */
async function startServer(memory: Memory, options: McpHttpHandlerOptions = {}, readBodyFirst = false): Promise<string> {
  return (await startServers(memory, options, readBodyFirst)).base;
}

async function startServers(memory: Memory, options: McpHttpHandlerOptions = {}, readBodyFirst = false): Promise<{ base: string; sse: McpSseHandler }> {
  const handler = createMcpHttpHandler(memory, options);
  const sse = createMcpSseHandler(memory, options);
  const app = new Hono();
  app.all('/mcp/:client/http/:userId', async (c) => {
    const route = { userId: c.req.param('userId'), client: c.req.param('client') };
    // A server whose middleware already read the body hands it over parsed.
    return readBodyFirst && c.req.method === 'POST' ? handler(c.req.raw, { ...route, parsedBody: await c.req.json() }) : handler(c.req.raw, route);
  });
  app.all('/mcp/:client/sse/:userId', (c) => sse.handle(c.req.raw, { userId: c.req.param('userId'), client: c.req.param('client') }));
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server: started, port: info.port }));
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
    () => sse.close(),
  );
  return { base: `http://127.0.0.1:${port}`, sse };
}

/** An SDK client connected over Streamable HTTP to `path`; closed after the test. */
async function connect(base: string, path: string): Promise<Client> {
  const client = new Client({ name: 'engram-http-test', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(path, base)));
  closers.push(() => client.close());
  return client;
}

/** An SDK client connected over the older SSE transport to `path`; closed after the test. */
async function connectSse(base: string, path: string): Promise<Client> {
  const client = new Client({ name: 'engram-sse-test', version: '0.0.0' });
  await client.connect(new SSEClientTransport(new URL(path, base)));
  closers.push(() => client.close());
  return client;
}

/** A JSON-RPC POST as curl would send it, without the SDK client. */
function rawPost(url: string, body: unknown, accept = 'application/json, text/event-stream'): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
}

type SearchJson = { results: { id: string; memory: string; score: number }[] };
type ListJson = { id: string; memory: string; metadata: Record<string, unknown>; user_id?: string }[];

describe('MCP over Streamable HTTP at /mcp/{client}/http/{userId}', () => {
  it('lists the tools, and adds, searches, lists and deletes the memories of the URL’s user', async () => {
    const memory = await openTestMemory();
    const client = await connect(await startServer(memory), '/mcp/cursor/http/alice');

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'add_memories',
      'delete_all_memories',
      'delete_memories',
      'delete_memory',
      'list_memories',
      'search_graph',
      'search_memory',
    ]);
    for (const tool of tools) expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('user_id');

    const added = await call(client, 'add_memories', { text: 'I am allergic to penicillin.', infer: false });
    expect(added.isError, textOf(added)).toBeFalsy();
    const id = jsonOf<{ results: { id: string; event: string }[] }>(added).results[0]!.id;
    await call(client, 'add_memories', { text: 'My daughter Mia plays the violin.', infer: false });
    expect(await memory.get(id)).toMatchObject({ userId: 'alice', metadata: { mcp_client: 'cursor' } });

    const found = jsonOf<SearchJson>(await call(client, 'search_memory', { query: 'Which antibiotics must I avoid?', limit: 1 }));
    expect(found.results).toMatchObject([{ id, memory: 'I am allergic to penicillin.' }]);
    const listed = jsonOf<ListJson>(await call(client, 'list_memories'));
    expect(listed.map((m) => m.memory).sort()).toEqual(['I am allergic to penicillin.', 'My daughter Mia plays the violin.']);
    expect(listed.every((m) => m.user_id === 'alice' && m.metadata.mcp_client === 'cursor')).toBe(true);

    const deleted = await call(client, 'delete_memories', { memory_ids: [id] });
    expect(jsonOf(deleted)).toEqual({ message: 'Successfully deleted 1 memories', deleted: [id], not_found: [] });
    expect(jsonOf<ListJson>(await call(client, 'list_memories')).map((m) => m.memory)).toEqual(['My daughter Mia plays the violin.']);
    expect(jsonOf(await call(client, 'delete_all_memories'))).toEqual({ message: 'Successfully deleted all memories', deleted: 1 });
  });

  it('keeps two users in two URLs apart: bob never sees, finds or deletes alice’s memories', async () => {
    const memory = await openTestMemory();
    const base = await startServer(memory);
    const alice = await connect(base, '/mcp/claude/http/alice');
    const bob = await connect(base, '/mcp/claude/http/bob');

    const aliceId = jsonOf<{ results: { id: string }[] }>(await call(alice, 'add_memories', { text: 'I am allergic to penicillin.', infer: false })).results[0]!.id;
    await call(bob, 'add_memories', { text: 'I like jazz.', infer: false });

    expect(jsonOf<ListJson>(await call(bob, 'list_memories')).map((m) => m.memory)).toEqual(['I like jazz.']);
    expect(jsonOf<SearchJson>(await call(bob, 'search_memory', { query: 'penicillin allergy' })).results.map((m) => m.id)).not.toContain(aliceId);
    const refused = await call(bob, 'delete_memories', { memory_ids: [aliceId] });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^NOT_FOUND: /);
    expect(await call(bob, 'list_memories', { user_id: 'alice' })).toMatchObject({ isError: true });
    expect(jsonOf(await call(bob, 'delete_all_memories'))).toMatchObject({ deleted: 1 });

    expect(jsonOf<ListJson>(await call(alice, 'list_memories')).map((m) => m.id)).toEqual([aliceId]);
    expect(await memory.get(aliceId)).toMatchObject({ userId: 'alice' });
  });

  it('answers a plain JSON-RPC POST without a session, and says what it refuses', async () => {
    const memory = await openTestMemory();
    await memory.add('I live in Lyon.', { userId: 'alice', infer: false });
    const url = `${await startServer(memory)}/mcp/curl/http/alice`;

    const listed = await rawPost(url, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'list_memories', arguments: {} } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(listed.headers.get('mcp-session-id')).toBeNull();
    const reply = (await listed.json()) as { id: number; result: { content: { text: string }[] } };
    expect(reply.id).toBe(7);
    expect(JSON.parse(reply.result.content[0]!.text)).toMatchObject([{ memory: 'I live in Lyon.', user_id: 'alice' }]);

    const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(405);
    expect((await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, 'text/html')).status).toBe(406);
    const badJson = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{' });
    expect(badJson.status).toBe(400);

    const longUser = await rawPost(`${url.slice(0, url.lastIndexOf('/'))}/${'x'.repeat(300)}`, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(longUser.status).toBe(400);
    expect(((await longUser.json()) as { error: { message: string } }).error.message).toMatch(/user id/);
  });

  it('takes a body the server already read', async () => {
    const memory = await openTestMemory();
    const client = await connect(await startServer(memory, {}, true), '/mcp/cursor/http/alice');
    await call(client, 'add_memories', { text: 'I drink green tea.', infer: false });
    expect(jsonOf<ListJson>(await call(client, 'list_memories')).map((m) => m.memory)).toEqual(['I drink green tea.']);
  });
});

describe('MCP over SSE at /mcp/{client}/sse/{userId} (OpenMemory’s install URL)', () => {
  it('serves an SSE client: tools, add, search, list, delete_memories, in the URL’s user; the session ends with the client', async () => {
    const memory = await openTestMemory();
    const { base, sse } = await startServers(memory);
    const client = await connectSse(base, '/mcp/claude/sse/alice');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('delete_memories');
    expect(sse.openSessions).toBe(1);

    const added = await call(client, 'add_memories', { text: 'I am allergic to penicillin.', infer: false });
    const id = jsonOf<{ results: { id: string }[] }>(added).results[0]!.id;
    expect(await memory.get(id)).toMatchObject({ userId: 'alice', metadata: { mcp_client: 'claude' } });
    expect(jsonOf<SearchJson>(await call(client, 'search_memory', { query: 'penicillin' })).results.map((m) => m.id)).toEqual([id]);
    expect(jsonOf<ListJson>(await call(client, 'list_memories')).map((m) => m.id)).toEqual([id]);
    expect(jsonOf(await call(client, 'delete_memories', { memory_ids: [id] }))).toMatchObject({ deleted: [id] });

    await client.close();
    await expect.poll(() => sse.openSessions, { timeout: 5_000 }).toBe(0);
  });

  it('keeps users apart: a session takes messages only at its own user’s URL, and bob never sees alice’s memories', async () => {
    const memory = await openTestMemory();
    await memory.add('I am allergic to penicillin.', { userId: 'alice', infer: false });
    const { base } = await startServers(memory);
    const bob = await connectSse(base, '/mcp/claude/sse/bob');
    expect(jsonOf(await call(bob, 'list_memories'))).toEqual([]);
    expect(jsonOf<SearchJson>(await call(bob, 'search_memory', { query: 'penicillin' })).results).toEqual([]);

    // Open a raw session for alice, then post to it from bob's URL.
    const stream = await fetch(`${base}/mcp/claude/sse/alice`, { headers: { accept: 'text/event-stream' } });
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const endpoint = /^event: endpoint\ndata: (\S+)\n/.exec(first)?.[1];
    expect(endpoint).toMatch(/^\/mcp\/claude\/sse\/alice\?session_id=[0-9a-f-]{36}$/);
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    expect((await rawPost(`${base}${endpoint!.replace('/alice?', '/bob?')}`, message)).status).toBe(404);
    expect((await rawPost(`${base}${endpoint!.replace(/session_id=.*/, 'session_id=nope')}`, message)).status).toBe(404);
    expect((await rawPost(`${base}${endpoint}`, message)).status).toBe(202);
    await reader.cancel();
  });

  it('answers a Streamable HTTP client at the SSE URL too', async () => {
    const memory = await openTestMemory();
    await memory.add('I live in Lyon.', { userId: 'alice', infer: false });
    const client = await connect(await startServer(memory), '/mcp/cursor/sse/alice');
    expect(jsonOf<ListJson>(await call(client, 'list_memories')).map((m) => m.memory)).toEqual(['I live in Lyon.']);
  });
});
