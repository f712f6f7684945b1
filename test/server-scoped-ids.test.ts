import { describe, expect, it } from 'vitest';
import { expectError, startTestServer } from './support/rest-server.js';

/** Alice's memory, added over HTTP under an agent and a run. */
async function aliceMemory(api: Awaited<ReturnType<typeof startTestServer>>['api']): Promise<string> {
  const added = await api.post('/memories', { messages: 'My PIN is 4321.', user_id: 'alice', agent_id: 'bank-bot', run_id: 'call-1', infer: false });
  expect(added.status).toBe(200);
  return added.body.results[0].id as string;
}

describe('REST server: id routes restricted to a scope by user_id, agent_id, run_id', () => {
  it('another user’s scope gets 404 on GET, PUT, DELETE and history of alice’s memory, and nothing changes', async () => {
    const { api, memory } = await startTestServer();
    const id = await aliceMemory(api);
    expectError(await api.get(`/memories/${id}?user_id=bob`), 404, 'NOT_FOUND');
    expectError(await api.put(`/memories/${id}?user_id=bob`, { text: 'My PIN is 0000.' }), 404, 'NOT_FOUND');
    expectError(await api.delete(`/memories/${id}?user_id=bob`), 404, 'NOT_FOUND');
    expectError(await api.get(`/memories/${id}/history?user_id=bob`), 404, 'NOT_FOUND');
    expectError(await api.get(`/memories/${id}?userId=bob`), 404, 'NOT_FOUND');
    expect((await memory.getAll({ userId: 'alice' })).results).toMatchObject([{ id, memory: 'My PIN is 4321.', version: 1 }]);
    expect((await memory.history(id)).map((entry) => entry.event)).toEqual(['ADD']);
  });

  it('the owner’s scope reads, updates, reads the history of and deletes the memory', async () => {
    const { api, memory } = await startTestServer();
    const id = await aliceMemory(api);
    expect((await api.get(`/memories/${id}?user_id=alice`)).body).toMatchObject({ id, memory: 'My PIN is 4321.', user_id: 'alice' });
    const updated = await api.put(`/memories/${id}?user_id=alice`, { text: 'My PIN is 9876.' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, memory: 'My PIN is 9876.', version: 2 });
    const history = await api.get(`/memories/${id}/history?user_id=alice`);
    expect(history.body.map((entry: { event: string }) => entry.event)).toEqual(['ADD', 'UPDATE']);
    expect((await api.delete(`/memories/${id}?user_id=alice`)).body).toEqual({ message: 'Memory deleted successfully' });
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    // A deleted memory's history stays readable, still only in its scope.
    expect((await api.get(`/memories/${id}/history?user_id=alice`)).body).toHaveLength(3);
    expectError(await api.get(`/memories/${id}/history?user_id=bob`), 404, 'NOT_FOUND');
  });

  it('agent_id and run_id narrow as in GET /memories: a user covers their agents and runs, another agent or run is 404', async () => {
    const { api } = await startTestServer();
    const id = await aliceMemory(api);
    for (const scope of ['user_id=alice', 'agent_id=bank-bot', 'run_id=call-1', 'user_id=alice&agent_id=bank-bot&run_id=call-1']) {
      expect((await api.get(`/memories/${id}?${scope}`)).status, scope).toBe(200);
    }
    for (const scope of ['user_id=alice&agent_id=coach', 'user_id=alice&run_id=call-2', 'agent_id=coach', 'user_id=bob&agent_id=bank-bot']) {
      expectError(await api.get(`/memories/${id}?${scope}`), 404, 'NOT_FOUND');
      expectError(await api.put(`/memories/${id}?${scope}`, { text: 'My PIN is 0000.' }), 404, 'NOT_FOUND');
      expectError(await api.delete(`/memories/${id}?${scope}`), 404, 'NOT_FOUND');
    }
    expect((await api.get(`/memories/${id}`)).body).toMatchObject({ memory: 'My PIN is 4321.', version: 1 });
  });

  it('refuses unknown and repeated query parameters on id routes (400), as on GET /memories', async () => {
    const { api, memory } = await startTestServer();
    const id = await aliceMemory(api);
    const unknown = await api.delete(`/memories/${id}?user=bob`);
    expectError(unknown, 400, 'INVALID_INPUT');
    expect(unknown.body.error.message).toContain('"user"');
    expectError(await api.get(`/memories/${id}?user_id=alice&user_id=bob`), 400, 'INVALID_INPUT');
    expectError(await api.put(`/memories/${id}?owner=bob`, { text: 'My PIN is 0000.' }), 400, 'INVALID_INPUT');
    expectError(await api.get(`/memories/${id}/history?limit=1`), 400, 'INVALID_INPUT');
    expect((await memory.getAll({ userId: 'alice' })).results).toMatchObject([{ id, version: 1 }]);
  });
});
