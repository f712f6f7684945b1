import { describe, expect, it } from 'vitest';
import { startTestServer } from './support/rest-server.js';

/**
 * Mem0's older JavaScript client (`mem0ai` 2.x, read from 2.4.6's sources:
 * it cannot be installed beside 3.x without dozens of required peers) calls
 * v1 and v2 routes, puts the scope at the top level, appends the org and
 * project from ping to every request, and reads bare lists. Its requests,
 * replayed as it sends them.
 */

const TOKEN = 'engram-test-token-0123456789abcdef';
const ORG = { org_id: 'engram', project_id: 'local' };

async function olderClient() {
  const { server, memory } = await startTestServer({ server: { token: TOKEN } });
  const send = async (method: string, path: string, body?: unknown) => {
    const reply = await fetch(new URL(path, server.url), {
      method,
      headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: reply.status, body: (await reply.json()) as any };
  };
  return { send, memory };
}

describe('mem0ai 2.x requests', () => {
  it('ping, add (v1), list (v1 GET and v2 POST), search (v1 and v2): bare lists, the envelope when paged', async () => {
    const { send } = await olderClient();
    const ping = await send('GET', '/v1/ping/');
    expect(ping.body).toMatchObject({ status: 'ok', ...ORG });

    const added = await send('POST', '/v1/memories/', { messages: [{ role: 'user', content: 'I love sushi.' }], user_id: 'fay', infer: false, ...ORG });
    expect(added.status).toBe(200);
    expect(added.body).toEqual([{ id: expect.any(String), memory: 'I love sushi.', event: 'ADD' }]);
    await send('POST', '/v1/memories/', { messages: [{ role: 'user', content: 'I fly to Lisbon.' }], user_id: 'fay', infer: false, ...ORG });

    const v1List = await send('GET', `/v1/memories/?user_id=fay&org_id=engram&project_id=local`);
    expect(v1List.body.map((m: { memory: string }) => m.memory).sort()).toEqual(['I fly to Lisbon.', 'I love sushi.']);
    const v1Page = await send('GET', `/v1/memories/?user_id=fay&org_id=engram&project_id=local&page=1&page_size=1`);
    expect(v1Page.body).toMatchObject({ count: 2, previous: null, results: [expect.any(Object)] });
    const v2List = await send('POST', '/v2/memories/', { filters: { AND: [{ user_id: 'fay' }] }, ...ORG });
    expect(v2List.body).toHaveLength(2);

    const v1Search = await send('POST', '/v1/memories/search/', { query: 'food', user_id: 'fay', ...ORG });
    expect(v1Search.body[0]).toMatchObject({ memory: 'I love sushi.', score: expect.any(Number) });
    const v2Search = await send('POST', '/v2/memories/search/', { query: 'travel', filters: { user_id: 'fay' }, top_k: 1, ...ORG });
    expect(v2Search.body).toEqual([expect.objectContaining({ memory: 'I fly to Lisbon.' })]);
  });

  it('a scope given twice must agree; deleteAll and entities carry the org and project too', async () => {
    const { send, memory } = await olderClient();
    await send('POST', '/v1/memories/', { messages: 'I love sushi.', user_id: 'fay', infer: false, ...ORG });
    const clash = await send('POST', '/v2/memories/search/', { query: 'x', user_id: 'fay', filters: { user_id: 'bob' }, ...ORG });
    expect(clash.status).toBe(400);
    expect(clash.body.detail).toMatch(/two different userId/);
    expect((await send('GET', '/v1/entities/?org_id=engram&project_id=local')).body.results).toEqual([expect.objectContaining({ type: 'user', name: 'fay' })]);
    expect((await send('DELETE', '/v1/memories/?user_id=fay&org_id=engram&project_id=local')).status).toBe(200);
    expect((await memory.getAll({ userId: 'fay' })).results).toEqual([]);
  });
});
