import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngramError } from 'engram-memory';
import { runServeCommand } from '../src/cli/serve-command.js';
import { toErrorResponse } from '../src/server/http-errors.js';
import { startServer } from '../src/server/start-server.js';
import { expectError, openRawSocket, rawRequest, RestClient, startTestServer } from './support/rest-server.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'test-token-0123456789abcdef';

/** Messages as a Mem0 client sends them. */
const said = (...contents: string[]) => contents.map((content) => ({ role: 'user', content }));

describe('REST server: Mem0 routes with Mem0 (snake_case) bodies', () => {
  it('GET /health answers { status, version }', async () => {
    const { api } = await startTestServer();
    const reply = await api.get('/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', version: '0.1.0' });
  });

  it('POST /memories adds as said and answers { results: [{ id, memory, event }] }', async () => {
    const { api, memory } = await startTestServer();
    const reply = await api.post('/memories', {
      messages: said('I am allergic to penicillin.', 'My daughter Mia plays the violin.'),
      user_id: 'alice',
      agent_id: 'doctor-bot',
      run_id: 'visit-1',
      metadata: { topic: 'health' },
      infer: false,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      results: [
        { id: expect.any(String), memory: 'I am allergic to penicillin.', event: 'ADD' },
        { id: expect.any(String), memory: 'My daughter Mia plays the violin.', event: 'ADD' },
      ],
      dropped_operations: 0,
    });
    const stored = await memory.get(reply.body.results[0].id);
    expect(stored).toMatchObject({ userId: 'alice', agentId: 'doctor-bot', runId: 'visit-1', metadata: { topic: 'health' } });
  });

  it('GET /memories/:id answers the memory with snake_case keys, Engram fields included', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', { messages: 'I live in Lyon.', user_id: 'alice', infer: false });
    const id: string = added.body.results[0].id;
    const reply = await api.get(`/memories/${id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      id,
      memory: 'I live in Lyon.',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      metadata: {},
      created_at: expect.any(String),
      updated_at: expect.any(String),
      user_id: 'alice',
      kind: 'semantic',
      version: 1,
      valid_from: expect.any(String),
    });
    expect(new Date(reply.body.created_at).toISOString()).toBe(reply.body.created_at);
  });

  it('GET /memories lists a scope newest first, with limit and offset', async () => {
    const { api } = await startTestServer();
    for (const text of ['First fact.', 'Second fact.', 'Third fact.']) {
      await api.post('/memories', { messages: text, user_id: 'alice', infer: false });
    }
    const all = await api.get('/memories?user_id=alice');
    expect(all.status).toBe(200);
    expect(all.body.results.map((m: { memory: string }) => m.memory)).toEqual(['Third fact.', 'Second fact.', 'First fact.']);
    expect(all.body.results[0]).toMatchObject({ user_id: 'alice', created_at: expect.any(String) });
    const page = await api.get('/memories?user_id=alice&limit=1&offset=1');
    expect(page.body.results.map((m: { memory: string }) => m.memory)).toEqual(['Second fact.']);
  });

  it('GET /memories takes a metadata filter as URL-encoded JSON, and as_of', async () => {
    const { api } = await startTestServer();
    await api.post('/memories', { messages: 'Takes aspirin daily.', user_id: 'alice', metadata: { topic: 'health' }, infer: false });
    await api.post('/memories', { messages: 'Loves jazz.', user_id: 'alice', metadata: { topic: 'music' }, infer: false });
    const filters = encodeURIComponent(JSON.stringify({ topic: { in: ['health'] } }));
    const reply = await api.get(`/memories?user_id=alice&filters=${filters}`);
    expect(reply.body.results.map((m: { memory: string }) => m.memory)).toEqual(['Takes aspirin daily.']);
    const before = await api.get('/memories?user_id=alice&as_of=2000-01-01T00:00:00Z');
    expect(before.body.results).toEqual([]);
  });

  it('POST /search answers { results } best first, each with a score, within filters and threshold', async () => {
    const { api } = await startTestServer();
    await api.post('/memories', {
      messages: said('I am allergic to penicillin.', 'I play the violin every evening.'),
      user_id: 'alice',
      metadata: { topic: 'health' },
      infer: false,
    });
    const reply = await api.post('/search', { query: 'Which antibiotics should the doctor avoid?', user_id: 'alice', limit: 1 });
    expect(reply.status).toBe(200);
    expect(reply.body.results).toHaveLength(1);
    expect(reply.body.results[0]).toMatchObject({ memory: 'I am allergic to penicillin.', user_id: 'alice', hash: expect.any(String) });
    expect(reply.body.results[0].score).toBeGreaterThan(0);
    expect(reply.body.results[0].score).toBeLessThanOrEqual(1);
    const filtered = await api.post('/search', { query: 'violin', user_id: 'alice', filters: { topic: 'music' } });
    expect(filtered.body.results).toEqual([]);
    // No memory has the word, so no hit leads both rankings: every fused score is at most 0.5.
    const strict = await api.post('/search', { query: 'antibiotics', user_id: 'alice', threshold: 0.9 });
    expect(strict.status).toBe(200);
    expect(strict.body.results).toEqual([]);
  });

  it('POST /search with explain shows per-signal scores in snake_case', async () => {
    const { api } = await startTestServer();
    await api.post('/memories', { messages: 'I play the violin.', user_id: 'alice', infer: false });
    const reply = await api.post('/search', { query: 'violin', user_id: 'alice', explain: true, mode: 'hybrid' });
    expect(reply.body.results[0].signals).toMatchObject({ vector: expect.any(Number), vector_rank: 1, keyword_rank: 1 });
  });

  it('PUT /memories/:id takes Mem0 clients’ { data } and Engram’s { text, metadata }; answers the new version', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', { messages: 'Drinks coffee.', user_id: 'alice', metadata: { a: 1 }, infer: false });
    const id: string = added.body.results[0].id;
    const viaData = await api.put(`/memories/${id}`, { data: 'Drinks tea.' });
    expect(viaData.status).toBe(200);
    expect(viaData.body).toMatchObject({ id, memory: 'Drinks tea.', version: 2, metadata: { a: 1 }, user_id: 'alice' });
    const viaText = await api.put(`/memories/${id}`, { text: 'Drinks green tea.', metadata: { b: 2 } });
    expect(viaText.body).toMatchObject({ id, memory: 'Drinks green tea.', version: 3, metadata: { b: 2 } });
  });

  it('GET /memories/:id/history answers every change, oldest first, with Mem0’s names', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', { messages: 'Drinks coffee.', user_id: 'alice', infer: false });
    const id: string = added.body.results[0].id;
    await api.put(`/memories/${id}`, { text: 'Drinks tea.' });
    await api.delete(`/memories/${id}`);
    const reply = await api.get(`/memories/${id}/history`);
    expect(reply.status).toBe(200);
    expect(reply.body.map((h: { event: string; old_memory?: string; new_memory?: string }) => [h.event, h.old_memory, h.new_memory])).toEqual([
      ['ADD', undefined, 'Drinks coffee.'],
      ['UPDATE', 'Drinks coffee.', 'Drinks tea.'],
      ['DELETE', 'Drinks tea.', undefined],
    ]);
    expect(reply.body[0]).toMatchObject({ memory_id: id, actor: 'api', created_at: expect.any(String), id: expect.any(Number) });
  });

  it('DELETE /memories/:id answers Mem0’s message; the memory is then 404', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', { messages: 'Has a cat.', user_id: 'alice', infer: false });
    const id: string = added.body.results[0].id;
    const reply = await api.delete(`/memories/${id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ message: 'Memory deleted successfully' });
    expectError(await api.get(`/memories/${id}`), 404, 'NOT_FOUND');
  });

  it('DELETE /memories?user_id= deletes the scope’s memories (deleteAll), POST /reset erases everything', async () => {
    const { api } = await startTestServer();
    await api.post('/memories', { messages: said('One.', 'Two.'), user_id: 'alice', infer: false });
    await api.post('/memories', { messages: 'Three.', user_id: 'bob', infer: false });
    const reply = await api.delete('/memories?user_id=alice');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ message: 'All relevant memories deleted', deleted: 2 });
    expect((await api.get('/memories?user_id=alice')).body.results).toEqual([]);
    expect((await api.get('/memories?user_id=bob')).body.results).toHaveLength(1);
    const reset = await api.post('/reset');
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ message: 'All memories reset' });
    expect((await api.get('/memories?user_id=bob')).body.results).toEqual([]);
  });

  it('accepts the trailing slash of Mem0 platform URLs', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories/', { messages: 'Likes tea.', user_id: 'alice', infer: false });
    expect(added.status).toBe(200);
    expect((await api.get(`/memories/${added.body.results[0].id}/`)).status).toBe(200);
  });

  it('treats null like an absent field, as Python clients send None', async () => {
    const { api } = await startTestServer();
    const reply = await api.post('/memories', { messages: 'Likes tea.', user_id: 'alice', agent_id: null, run_id: null, metadata: null, infer: false });
    expect(reply.status).toBe(200);
    expect((await api.get(`/memories/${reply.body.results[0].id}`)).body).not.toHaveProperty('agent_id');
  });
});

describe('REST server: camelCase is accepted too', () => {
  it('in bodies (userId, agentId, runId, createdAt, asOf) and in query parameters', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', {
      messages: [{ role: 'user', content: 'Moved to Berlin.', createdAt: '2024-03-01T09:00:00Z' }],
      userId: 'alice',
      agentId: 'coach',
      runId: 'r1',
      infer: false,
    });
    expect(added.status).toBe(200);
    const id: string = added.body.results[0].id;
    expect((await api.get(`/memories/${id}`)).body).toMatchObject({ user_id: 'alice', agent_id: 'coach', run_id: 'r1', valid_from: '2024-03-01T09:00:00.000Z' });
    expect((await api.get('/memories?userId=alice&agentId=coach')).body.results).toHaveLength(1);
    const found = await api.post('/search', { query: 'Berlin', userId: 'alice', asOf: new Date().toISOString() });
    expect(found.body.results.map((m: { id: string }) => m.id)).toEqual([id]);
    expect((await api.delete('/memories?runId=r1')).body.deleted).toBe(1);
  });

  it('refuses a field given in both spellings', async () => {
    const { api } = await startTestServer();
    expectError(await api.post('/memories', { messages: 'Hi.', user_id: 'alice', userId: 'bob', infer: false }), 400, 'INVALID_INPUT');
    expectError(await api.get('/memories?user_id=alice&userId=bob'), 400, 'INVALID_INPUT');
  });

  it('never renames keys inside metadata, and metadata never acts as the scope', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', { messages: 'Likes tea.', user_id: 'alice', metadata: { userId: 'bob' }, infer: false });
    expect((await api.get(`/memories/${added.body.results[0].id}`)).body.metadata).toEqual({ userId: 'bob' });
    expect((await api.get('/memories?user_id=bob')).body.results).toEqual([]);
  });
});

describe('REST server: add with inference', () => {
  it('lets the LLM decide (ADD, then UPDATE with previous_memory), as Mem0 answers', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Is vegetarian' }),
      ops({ event: 'UPDATE', id: '0', text: 'Is vegan, no longer vegetarian' }),
    );
    const { api } = await startTestServer({ memory: { llm } });
    const first = await api.post('/memories', { messages: said('I went vegetarian this year.'), user_id: 'alice' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ results: [{ id: expect.any(String), memory: 'Is vegetarian', event: 'ADD' }], dropped_operations: 0 });
    const second = await api.post('/memories', { messages: said('Actually I am vegan now.'), user_id: 'alice' });
    expect(second.body.results).toEqual([
      { id: first.body.results[0].id, memory: 'Is vegan, no longer vegetarian', event: 'UPDATE', previous_memory: 'Is vegetarian' },
    ]);
    expect(llm.requests).toHaveLength(2);
  });

  it('maps model failures: malformed output → 502, no LLM → 501', async () => {
    const { api } = await startTestServer({ memory: { llm: new ScriptedLlm('this is not JSON') } });
    expectError(await api.post('/memories', { messages: 'I like tea.', user_id: 'alice' }), 502, 'LLM_OUTPUT_INVALID');
    const without = await startTestServer({ memory: { llm: null } });
    expectError(await without.api.post('/memories', { messages: 'I like tea.', user_id: 'alice' }), 501, 'LLM_NOT_CONFIGURED');
  });
});

describe('REST server: scopes stay apart over HTTP', () => {
  it('bob never sees, lists, searches or deletes alice’s memories', async () => {
    const { api } = await startTestServer();
    await api.post('/memories', { messages: said('I am allergic to penicillin.', 'My PIN is 4321.'), user_id: 'alice', infer: false });
    await api.post('/memories', { messages: 'I like hiking.', user_id: 'bob', infer: false });
    const bobList = await api.get('/memories?user_id=bob');
    expect(bobList.body.results.map((m: { memory: string }) => m.memory)).toEqual(['I like hiking.']);
    const bobSearch = await api.post('/search', { query: 'penicillin allergy PIN', user_id: 'bob', limit: 50 });
    expect(bobSearch.body.results.every((m: { user_id: string }) => m.user_id === 'bob')).toBe(true);
    expect(bobSearch.body.results.map((m: { memory: string }) => m.memory)).not.toContain('I am allergic to penicillin.');
    expect((await api.delete('/memories?user_id=bob')).body.deleted).toBe(1);
    const aliceList = await api.get('/memories?user_id=alice');
    expect(aliceList.body.results).toHaveLength(2);
    const aliceSearch = await api.post('/search', { query: 'penicillin', user_id: 'alice' });
    expect(aliceSearch.body.results[0].memory).toBe('I am allergic to penicillin.');
  });

  it('an agent scope narrows a user’s memories', async () => {
    const { api } = await startTestServer();
    await api.post('/memories', { messages: 'Runs 5k on Sundays.', user_id: 'alice', agent_id: 'coach', infer: false });
    await api.post('/memories', { messages: 'Owes rent on the 1st.', user_id: 'alice', agent_id: 'banker', infer: false });
    const coach = await api.get('/memories?user_id=alice&agent_id=coach');
    expect(coach.body.results.map((m: { memory: string }) => m.memory)).toEqual(['Runs 5k on Sundays.']);
    expect((await api.get('/memories?user_id=alice')).body.results).toHaveLength(2);
  });
});

describe('REST server: errors', () => {
  it('400 INVALID_INPUT for a body that is not JSON, not an object, empty, or of the wrong shape', async () => {
    const { api } = await startTestServer();
    expectError(await api.post('/memories', '{"messages": "unterminated'), 400, 'INVALID_INPUT');
    expectError(await api.post('/memories', '[1, 2]'), 400, 'INVALID_INPUT');
    expectError(await api.send('POST', '/search'), 400, 'INVALID_INPUT');
    expectError(await api.post('/memories', { messages: 42, user_id: 'alice' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/memories', { messages: [{ role: 'tool', content: 'x' }], user_id: 'alice' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/search', { query: '', user_id: 'alice' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/search', { query: 'x', user_id: 'alice', limit: 'ten' }), 400, 'INVALID_INPUT');
  });

  it('400 INVALID_INPUT names unknown fields in bodies and query parameters', async () => {
    const { api } = await startTestServer();
    const body = await api.post('/memories', { messages: 'Hi.', user_id: 'alice', prompt: 'extract', infer: false });
    expectError(body, 400, 'INVALID_INPUT');
    expect(body.body.error.message).toContain('"prompt"');
    const nested = await api.post('/memories', { messages: [{ role: 'user', content: 'Hi.', mood: 'happy' }], user_id: 'alice', infer: false });
    expect(nested.body.error.message).toContain('"mood"');
    const query = await api.get('/memories?user_id=alice&page=2');
    expectError(query, 400, 'INVALID_INPUT');
    expect(query.body.error.message).toContain('"page"');
    expectError(await api.get('/memories?user_id=alice&limit=abc'), 400, 'INVALID_INPUT');
    expectError(await api.get('/memories?user_id=alice&user_id=bob'), 400, 'INVALID_INPUT');
    expectError(await api.get('/memories?user_id=alice&filters=not-json'), 400, 'INVALID_INPUT');
  });

  it('400 INVALID_INPUT for an update with nothing to change, or both text and data; metadata alone keeps the text', async () => {
    const { api } = await startTestServer();
    const added = await api.post('/memories', { messages: 'Likes tea.', user_id: 'alice', infer: false });
    const id: string = added.body.results[0].id;
    expectError(await api.put(`/memories/${id}`, {}), 400, 'INVALID_INPUT');
    expectError(await api.put(`/memories/${id}`, { text: 'a', data: 'b' }), 400, 'INVALID_INPUT');
    const tagged = await api.put(`/memories/${id}`, { metadata: { a: 1 } });
    expect(tagged.body).toMatchObject({ id, memory: 'Likes tea.', version: 2, metadata: { a: 1 } });
    expectError(await api.put(`/memories/${id}?user_id=bob`, { metadata: { a: 2 } }), 404, 'NOT_FOUND');
  });

  it('400 SCOPE_REQUIRED without user_id, agent_id or run_id, on every scoped route', async () => {
    const { api } = await startTestServer();
    expectError(await api.post('/memories', { messages: 'Hi.', infer: false }), 400, 'SCOPE_REQUIRED');
    expectError(await api.post('/search', { query: 'Hi' }), 400, 'SCOPE_REQUIRED');
    expectError(await api.get('/memories'), 400, 'SCOPE_REQUIRED');
    expectError(await api.delete('/memories'), 400, 'SCOPE_REQUIRED');
  });

  it('404 NOT_FOUND for an unknown memory id, 404 ROUTE_NOT_FOUND for an unknown path', async () => {
    const { api } = await startTestServer();
    expectError(await api.get('/memories/no-such-id'), 404, 'NOT_FOUND');
    expectError(await api.put('/memories/no-such-id', { text: 'x' }), 404, 'NOT_FOUND');
    expectError(await api.delete('/memories/no-such-id'), 404, 'NOT_FOUND');
    expectError(await api.get('/memories/no-such-id/history'), 404, 'NOT_FOUND');
    expectError(await api.get('/v9/memories'), 404, 'ROUTE_NOT_FOUND');
    expectError(await api.get('/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });

  it('405 METHOD_NOT_ALLOWED with an Allow header', async () => {
    const { api } = await startTestServer();
    const reply = await api.send('PATCH', '/memories/abc', { text: 'x' });
    expectError(reply, 405, 'METHOD_NOT_ALLOWED');
    expect(reply.headers.get('allow')).toBe('GET, PUT, DELETE');
    expectError(await api.get('/search'), 405, 'METHOD_NOT_ALLOWED');
    expectError(await api.get('/reset'), 405, 'METHOD_NOT_ALLOWED');
  });

  it('413 PAYLOAD_TOO_LARGE for a body over the limit, declared or streamed, and the server carries on', async () => {
    const { api } = await startTestServer({ server: { maxBodyBytes: 1024 } });
    const big = { messages: 'x'.repeat(2000), user_id: 'alice', infer: false };
    expectError(await api.post('/memories', big), 413, 'PAYLOAD_TOO_LARGE');
    const chunks = [JSON.stringify(big).slice(0, 600), JSON.stringify(big).slice(600)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await fetch(`${api.url}/memories`, { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit);
    expect(res.headers.get('content-length')).not.toBeNull(); // the 413 itself, not a torn connection
    expectError({ status: res.status, headers: res.headers, body: await res.json() }, 413, 'PAYLOAD_TOO_LARGE');
    expect((await api.post('/memories', { messages: 'Small.', user_id: 'alice', infer: false })).status).toBe(200);
  });

  it('500 INTERNAL hides whatever an unexpected error says', () => {
    const secret = new Error('/home/alice/secret.db: disk on fire');
    expect(toErrorResponse(secret)).toEqual({ status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'internal server error' } } });
    expect(toErrorResponse(new EngramError('DB_LOCKED', 'busy')).status).toBe(503);
  });

  it('503 CLOSED once the memory is closed under a running server', async () => {
    const { api, memory } = await startTestServer();
    await memory.close();
    expectError(await api.get('/memories?user_id=alice'), 503, 'CLOSED');
  });
});

describe('REST server: who may call', () => {
  it('refuses to bind a non-loopback address without a token, before opening a socket', async () => {
    const memory = await openTestMemory();
    await expect(startServer(memory, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('token') });
    await expect(startServer(memory, { host: '::', port: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(startServer(memory, { port: 0, token: 'short' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('with a token: none or a wrong one → 401, the right one → 200; /health stays open', async () => {
    const { api } = await startTestServer({ server: { token: TOKEN } });
    const none = await api.get('/memories?user_id=alice');
    expectError(none, 401, 'UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectError(await api.with({ authorization: `Bearer ${TOKEN}x` }).get('/memories?user_id=alice'), 401, 'UNAUTHORIZED');
    expectError(await api.with({ authorization: `Basic ${TOKEN}` }).post('/reset'), 401, 'UNAUTHORIZED');
    expectError(await api.get('/no-such-route'), 401, 'UNAUTHORIZED');
    const authed = api.with({ authorization: `Bearer ${TOKEN}` });
    expect((await authed.get('/memories?user_id=alice')).status).toBe(200);
    expect((await authed.post('/memories', { messages: 'Hi there.', user_id: 'alice', infer: false })).status).toBe(200);
    expect((await api.get('/health')).status).toBe(200);
  });

  it('without a token, refuses web pages: a foreign Origin or a non-loopback Host (DNS rebinding) → 403', async () => {
    const { api, server } = await startTestServer();
    expectError(await api.send('POST', '/reset', undefined, { origin: 'https://evil.example' }), 403, 'FORBIDDEN');
    expectError(await api.send('GET', '/health', undefined, { origin: 'null' }), 403, 'FORBIDDEN');
    const rebound = await rawRequest(server.url, { path: '/memories?user_id=alice', headers: { host: `evil.example:${server.port}` } });
    expect(rebound).toEqual({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.any(String) } } });
    expect((await rawRequest(server.url, { path: '/health', headers: { host: `localhost:${server.port}` } })).status).toBe(200);
    // The server's own page passes; a page of another program on another loopback port does not.
    const own = await rawRequest(server.url, { path: '/health', headers: { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` } });
    expect(own.status).toBe(200);
    expect((await api.send('GET', '/health', undefined, { origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
    expectError(await api.send('POST', '/reset', undefined, { origin: `http://localhost:${server.port + 1}` }), 403, 'FORBIDDEN');
    expectError(await api.send('POST', '/reset', undefined, { origin: `http://127.0.0.1:${server.port + 1}` }), 403, 'FORBIDDEN');
  });
});

describe('REST server: lifecycle', () => {
  it('close() lets a request in flight finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const llm = new ScriptedLlm(async () => {
      await gate;
      return ops({ event: 'ADD', text: 'Likes slow answers' });
    });
    const { api, server } = await startTestServer({ memory: { llm } });
    const inFlight = api.post('/memories', { messages: 'I like slow answers.', user_id: 'alice' });
    await expect.poll(() => llm.requests.length).toBe(1);
    const closed = server.close();
    release();
    expect((await inFlight).status).toBe(200);
    await closed;
    expect(server.server.listening).toBe(false);
  });

  it('runServeCommand serves until stopped, prints its URL, reports failed and aborted requests with --verbose, exits 0', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const args = ['--db', tempDbPath(), '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', 'none.gguf', '--port', '0', '--verbose'];
    const exit = runServeCommand(args, { out: (line) => out.push(line), err: { write: (text) => err.push(text) }, env: {}, signal: stop.signal });
    await expect.poll(() => out.length, { timeout: 20_000 }).toBe(2);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out[0] ?? '')?.[0] as string;
    expect(url).toBeDefined();
    const api = new RestClient(url);
    expect((await api.get('/health')).status).toBe(200);
    expect((await api.get('/nope')).status).toBe(404);
    expect(err.join('')).toContain('GET /nope → 404 ROUTE_NOT_FOUND');
    const socket = await openRawSocket(url);
    socket.write('POST /memories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"message');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await expect.poll(() => err.join('')).toContain('POST /memories aborted: the client closed the connection before sending the whole body');
    expect(err.join('')).not.toMatch(/INTERNAL|500/);
    stop.abort();
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('runServeCommand exits 2 on a non-loopback host without a token, and on bad flags', async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: { write: (text: string) => err.push(text) }, env: {} };
    expect(await runServeCommand(['--host', '0.0.0.0', '--db', tempDbPath()], io)).toBe(2);
    expect(err.join('')).toContain('refusing to listen on 0.0.0.0 without a token');
    expect(await runServeCommand(['--port', '70000'], io)).toBe(2);
    expect(await runServeCommand(['--token', 'short'], io)).toBe(2);
    expect(await runServeCommand(['--bogus'], io)).toBe(2);
    expect(await runServeCommand(['--host', '0.0.0.0'], { ...io, env: { ENGRAM_TOKEN: 'short' } })).toBe(2);
  });

  it('the real CLI: `engram serve --port 0` prints its URL, serves add and search, and exits 0 on SIGTERM', async () => {
    const db = tempDbPath();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', db, '--embedding-model', 'models/test/embedding', '--port', '0'], {
      cwd: root,
      env: { ...process.env, ENGRAM_TOKEN: '', ENGRAM_DB: '', ENGRAM_HOME: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    try {
      const lines = createInterface({ input: child.stdout });
      const died = once(child, 'exit').then(([code]) => Promise.reject(new Error(`exited ${code}: ${stderr.join('')}`)));
      const [line] = (await Promise.race([once(lines, 'line'), died])) as [string];
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0] as string;
      expect(url, `stdout: ${line}\nstderr: ${stderr.join('')}`).toBeDefined();
      const api = new RestClient(url);
      expect((await api.get('/health')).body).toEqual({ status: 'ok', version: '0.1.0' });
      await api.post('/memories', { messages: said('I am allergic to penicillin.', 'I love sailing.'), user_id: 'alice', infer: false });
      const found = await api.post('/search', { query: 'antibiotics to avoid', user_id: 'alice', limit: 1 });
      expect(found.body.results[0].memory).toBe('I am allergic to penicillin.');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, string | null];
      expect({ code, signal }, stderr.join('')).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
