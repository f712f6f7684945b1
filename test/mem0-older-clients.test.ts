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

describe('hosted id routes inside a scope', () => {
  it('?user_id= keeps an id route inside that user: another user gets 404 on get, update, delete and history, and nothing changes', async () => {
    const { send, memory } = await olderClient();
    const added = await send('POST', '/v1/memories/', { messages: 'I am allergic to penicillin.', user_id: 'alice', infer: false });
    const id: string = added.body[0].id;
    expect((await send('GET', `/v1/memories/${id}/?user_id=bob`)).status).toBe(404);
    expect((await send('PUT', `/v1/memories/${id}/?user_id=bob`, { text: 'Bob was here.' })).status).toBe(404);
    expect((await send('PUT', `/v1/memories/${id}/?user_id=bob`, { metadata: { owner: 'bob' } })).status).toBe(404);
    expect((await send('DELETE', `/v1/memories/${id}/?user_id=bob`)).status).toBe(404);
    expect((await send('GET', `/v1/memories/${id}/history/?user_id=bob`)).status).toBe(404);
    expect(await memory.get(id)).toMatchObject({ memory: 'I am allergic to penicillin.', version: 1, metadata: {} });
    expect((await send('GET', `/v1/memories/${id}/?user_id=alice`)).body).toMatchObject({ id, user_id: 'alice' });
  });
});

describe('hosted routes under hostile values', () => {
  it('out-of-range times, pages and shapes are 400 with detail, never a 500; nothing is stored', async () => {
    const { send, memory } = await olderClient();
    const said = { messages: 'I love sushi.', user_id: 'fay', infer: false };
    for (const [path, body, why] of [
      ['/v3/memories/add/', { ...said, timestamp: 1e20 }, /timestamp/],
      ['/v3/memories/add/', { ...said, timestamp: '12abc' }, /Unix seconds/],
      ['/v3/memories/add/', { ...said, messages: [{ role: 'user', content: { type: 'image_url', image_url: { url: 'x' } } }] }, /images are not supported/],
      ['/v3/memories/search/', { query: 'x', filters: { user_id: 'fay' }, reference_date: 1e20 }, /reference_date/],
      ['/v3/memories/search/', { query: 'x', filters: { user_id: ['fay'] } }, /one id/],
      ['/v3/memories/search/', { query: 'x', filters: { AND: [] } }, /non-empty/],
      ['/v3/memories/search/', { query: 'x', filters: { user_id: 'fay', metadata: 'topic' } }, /metadata fields/],
      ['/v3/memories/', { filters: { user_id: 'fay' }, page: 0 }, /page/],
    ] as const) {
      const reply = await send('POST', path, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.detail, JSON.stringify(body)).toMatch(why);
    }
    expect((await send('GET', '/v1/entities/?page=0')).status).toBe(400);
    expect((await memory.getAll({ userId: 'fay' })).results).toEqual([]);
  });

  it('entities are paged with their total', async () => {
    const { send } = await olderClient();
    for (const user of ['ann', 'ben', 'cy']) await send('POST', '/v1/memories/', { messages: 'Hello.', user_id: user, infer: false });
    const first = await send('GET', '/v1/entities/?page=1&page_size=2');
    expect(first.body).toMatchObject({ count: 3, previous: null, next: expect.stringMatching(/page=2/) });
    expect(first.body.results).toHaveLength(2);
    const second = await send('GET', '/v1/entities/?page=2&page_size=2');
    expect(second.body).toMatchObject({ count: 3, next: null, previous: expect.stringMatching(/page=1/) });
    expect([...first.body.results, ...second.body.results].map((e: { name: string }) => e.name).sort()).toEqual(['ann', 'ben', 'cy']);
  });
});
