import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { createMcpServer } from '../src/mcp/create-mcp-server.js';
import { pick, seededRandom } from './support/seeded-random.js';
import { snapshotStore } from './support/store-snapshot.js';
import { startTestServer } from './support/rest-server.js';
import { openTestMemory, tempDbPath } from './support/test-memory.js';

const SEED = Number(process.env.ENGRAM_FUZZ_SEED ?? 1337);

/** JSON values meant to break a handler: wrong types, huge or malformed strings, SQL and FTS syntax, prototype keys, deep nesting. */
function hostileJson(random: () => number): unknown {
  const deep = JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200)) as unknown;
  return pick(random, [
    null, 0, -1, 1e308, true, '', ' ', 'x'.repeat(20_000), 'a\u0000b', '\ud800', "'; DROP TABLE memories; --", 'NEAR(a b) OR "x" col:y*',
    [], [1, 'a'], {}, deep, JSON.parse('{"__proto__": {"polluted": 1}}'), { constructor: { prototype: { polluted: 1 } } },
    { user_id: 'u' }, { userId: 'u' }, { user_id: ['u'] }, { user_id: '' }, { messages: 'hi', user_id: 'u', infer: false },
    { messages: [{ role: 'tool', content: 'x' }], user_id: 'u' }, { query: 'x', user_id: 'u', filters: { "'; DROP": { $gt: 1 } } },
    { query: 'x', user_id: 'u', limit: 'all' }, { text: 'x', metadata: deep }, { data: 12 }, { query: { nested: 'x' }, user_id: 'u' },
    // Mem0's hosted shapes, bent.
    { filters: { user_id: 'u', AND: 'x' } }, { query: 'x', filters: { user_id: { $in: 1 } } }, { messages: 'hi', user_id: 'u', timestamp: 'x' },
    { memories: [{ memory_id: 1 }] }, { memories: [] }, { query: 'x', filters: { user_id: 'u', created_at: { gte: '2024-13-45' } } },
    { query: 'x', filters: { user_id: 'u', memory_ids: [1] } }, { query: 'x', filters: { user_id: 'u', topic: { icontains: null } } },
    { query: 'x', filters: { OR: [{ user_id: 'u' }] } }, { filters: { user_id: 'u' }, page: 1e12, page_size: -1 }, { messages: [{ role: 'user' }], user_id: 'u', async_mode: 'yes' },
  ]);
}

describe(`hostile input through the interfaces (seed ${SEED})`, () => {
  it('REST: 900 hostile requests get JSON errors with a code, never a 500, and refused ones change nothing', { timeout: 120_000 }, async () => {
    const random = seededRandom(SEED);
    const path = tempDbPath();
    const { memory, api } = await startTestServer({ memory: { path } });
    const [kept] = (await memory.add('must survive', { userId: 'u', infer: false })).results;
    const paths = ['/memories', '/memories/' + kept!.id, '/memories/zzz', '/search', '/memories/' + kept!.id + '/history', '/memories?user_id=u', '/nope', '/memories?user_id=%00', '/memories?limit=-1&user_id=u',
      // Mem0's hosted routes (never a DELETE of user u's whole scope: the store must keep something to protect).
      '/v3/memories/add/', '/v3/memories/', '/v3/memories/?page=0', '/v3/memories/search/', '/v2/memories/search/', '/v1/memories/search/', '/v1/memories/' + kept!.id + '/',
      '/v1/memories/zzz/history/', '/v1/memories/?user_id=%00&org_id=1', '/v1/batch/', '/v1/entities/?page_size=0', '/v2/entities/app/zz/', '/v1/event/zzz/', '/v1/ping/',
      // The routes the local page uses (never a forget of user u).
      '/scopes', '/scopes?limit=0', '/scopes?user_id=%00', '/export', '/export?user_id=%00', '/export?user_id=u&x=1', '/memories/' + kept!.id + '/sources?as_of=zz',
      '/memories/zzz/sources', '/memories/' + kept!.id + '?changed_by=llm', '/memories/' + kept!.id + '?user_id=v&changed_by=user'];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 900; i++) {
      const method = pick(random, methods);
      const route = pick(random, paths);
      const raw = random() < 0.15 ? pick(random, ['{', 'not json', '[1,', '\u0000', '{"a":1}{"b":2}']) : JSON.stringify(hostileJson(random));
      const before = snapshotStore(path);
      const reply = await api.send(method, route, method === 'GET' ? undefined : raw);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      expect(reply.status, `seed ${SEED}, request ${i}: ${method} ${route} ${raw.slice(0, 80)}`).not.toBe(500);
      if (reply.status >= 400) {
        expect(reply.body?.error?.code, `seed ${SEED}, request ${i}`).toEqual(expect.any(String));
        expect(snapshotStore(path), `seed ${SEED}, request ${i} changed the store`).toBe(before);
      }
    }
    expect((await api.get('/health')).status).toBe(200);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    console.log(`REST fuzz, seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  it('MCP: 300 hostile tool calls come back as tool errors or results; the server keeps serving', { timeout: 120_000 }, async () => {
    const random = seededRandom(SEED + 1);
    const memory = await openTestMemory({ llm: null });
    await memory.add('must survive', { userId: 'alice', infer: false });
    const server = createMcpServer(memory, { scope: { userId: 'alice' } });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'fuzz', version: '1.0.0' });
    await client.connect(clientSide);
    const tools = ['add_memories', 'search_memory', 'list_memories', 'delete_memory', 'delete_all_memories', 'no_such_tool'];
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const name = pick(random, tools.filter((t) => t !== 'delete_all_memories'));
      const args = random() < 0.5 ? (hostileJson(random) as Record<string, unknown>) : { text: hostileJson(random), query: hostileJson(random), memory_id: hostileJson(random), limit: hostileJson(random) };
      const result = await client.callTool({ name, arguments: args }).catch((e: unknown) => ({ isError: true, protocolError: String(e) }));
      if ((result as { isError?: boolean }).isError) errors += 1;
    }
    const listed = await client.callTool({ name: 'list_memories', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
    expect(errors).toBeGreaterThan(100);
    await client.close();
  });
});
