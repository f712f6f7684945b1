import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { startTestServer } from './support/rest-server.js';

/**
 * Mem0's official JavaScript client (npm `mem0ai`, pinned in package.json)
 * pointed at `engram serve` as a user switching from Mem0 would: every memory
 * method, through the hosted API's routes, with the client's own `Token` auth.
 */

type MemoryClient = import('mem0ai').MemoryClient;
let Client: typeof import('mem0ai').MemoryClient;

beforeAll(async () => {
  // The client reports to Mem0's telemetry unless told not to, and keeps a config under MEM0_DIR.
  process.env.MEM0_TELEMETRY = 'false';
  process.env.MEM0_DIR = mkdtempSync(join(tmpdir(), 'engram-mem0-client-'));
  Client = (await import('mem0ai')).MemoryClient;
});

const TOKEN = 'engram-test-token-0123456789abcdef';

async function clientAndServer(memoryOptions: Parameters<typeof startTestServer>[0] = {}) {
  const started = await startTestServer({ ...memoryOptions, server: { token: TOKEN } });
  const client: MemoryClient = new Client({ apiKey: TOKEN, host: started.server.url });
  return { ...started, client };
}

const said = (content: string) => [{ role: 'user' as const, content }];

describe('mem0ai MemoryClient against engram serve', () => {
  it('pings with its Token header and learns an org and a project', async () => {
    const { client } = await clientAndServer();
    await client.ping();
    // Kept from the ping's org_id and project_id; project methods need both.
    const identity = client as unknown as { organizationId: unknown; projectId: unknown };
    expect(identity.organizationId).toBeTruthy();
    expect(identity.projectId).toBeTruthy();
  });

  it('a wrong key is refused (401), and nothing is stored', async () => {
    const { api, memory } = await clientAndServer();
    const stranger: MemoryClient = new Client({ apiKey: 'not-the-token-at-all', host: api.url });
    await expect(stranger.add(said('I hate olives.'), { userId: 'fay', infer: false })).rejects.toThrow(/token/i);
    expect((await memory.getAll({ userId: 'fay' })).results).toEqual([]);
  });

  it('add (as said), getAll with the paginated envelope, search, get', async () => {
    const { client } = await clientAndServer();
    const added = (await client.add(said('I love sushi and hate early flights.'), { userId: 'fay', infer: false, metadata: { topic: 'food' } })) as unknown as {
      results: { id: string; memory: string; event: string }[];
    };
    expect(added.results).toEqual([{ id: expect.any(String), memory: 'I love sushi and hate early flights.', event: 'ADD' }]);
    await client.add(said('My passport expires in March 2027.'), { userId: 'fay', infer: false, metadata: { topic: 'travel' } });
    await client.add(said('I play the cello.'), { userId: 'bob', infer: false });

    const page = await client.getAll({ filters: { user_id: 'fay' }, page: 1, pageSize: 1 });
    expect(page.count).toBe(2);
    expect(page.results).toHaveLength(1);
    expect(page.next).toMatch(/page=2/);
    expect(page.previous).toBeNull();
    const second = await client.getAll({ filters: { user_id: 'fay' }, page: 2, pageSize: 1 });
    expect(second.results.map((m) => m.memory)).not.toEqual(page.results.map((m) => m.memory));

    const found = await client.search('what food do I like?', { filters: { user_id: 'fay' }, topK: 1 });
    expect(found.results).toHaveLength(1);
    expect(found.results[0]).toMatchObject({ memory: 'I love sushi and hate early flights.', userId: 'fay', score: expect.any(Number) });

    const one = await client.get(added.results[0]!.id);
    expect(one).toMatchObject({ id: added.results[0]!.id, memory: 'I love sushi and hate early flights.', metadata: { topic: 'food' } });
  });

  it('filters the way Mem0 writes them: AND with the scope, metadata fields; what Engram cannot honour is a clear 400', async () => {
    const { client } = await clientAndServer();
    await client.add(said('I love sushi.'), { userId: 'fay', infer: false, metadata: { topic: 'food' } });
    await client.add(said('I fly to Lisbon in May.'), { userId: 'fay', infer: false, metadata: { topic: 'travel' } });
    await client.add(said('I love ramen.'), { userId: 'bob', infer: false, metadata: { topic: 'food' } });

    const food = await client.getAll({ filters: { AND: [{ user_id: 'fay' }, { topic: 'food' }] } });
    expect(food.results.map((m) => m.memory)).toEqual(['I love sushi.']);
    const nested = await client.search('food', { filters: { AND: [{ user_id: 'fay' }, { metadata: { topic: 'travel' } }] } });
    expect(nested.results.map((m) => m.memory)).toEqual(['I fly to Lisbon in May.']);
    const not = await client.getAll({ filters: { user_id: 'fay', NOT: { topic: 'food' } } });
    expect(not.results.map((m) => m.memory)).toEqual(['I fly to Lisbon in May.']);

    // Dates bound the memories' own created_at / updated_at (a bare day is midnight UTC).
    const since2024 = await client.getAll({ filters: { AND: [{ user_id: 'fay' }, { created_at: { gte: '2024-01-01' } }] } });
    expect(since2024.results).toHaveLength(2);
    const future = await client.search('food', { filters: { user_id: 'fay', created_at: { gt: '2999-01-01' } } });
    expect(future.results).toEqual([]);
    await expect(client.getAll({ filters: { OR: [{ created_at: { gte: '2024-01-01' } }, { topic: 'food' }], user_id: 'fay' } })).rejects.toThrow(/date bound inside OR/);
    await expect(client.search('food', { filters: { user_id: '*' } })).rejects.toThrow(/wildcard/);
    await expect(client.search('food', { filters: { OR: [{ user_id: 'fay' }, { user_id: 'bob' }] } })).rejects.toThrow(/one scope/);
    const ignoringCase = await client.search('food', { filters: { user_id: 'fay', topic: { icontains: 'FOOD' } } });
    expect(ignoringCase.results.map((m) => m.memory)).toEqual(['I love sushi.']);
    const byId = await client.getAll({ filters: { AND: [{ user_id: 'fay' }, { memory_ids: [ignoringCase.results[0]!.id] }] } });
    expect(byId.results.map((m) => m.memory)).toEqual(['I love sushi.']);
    await expect(client.search('food', { filters: { user_id: 'fay', keywords: { icontains: 'sushi' } } })).rejects.toThrow(/keyword/);
    await expect(client.search('food', { filters: { user_id: 'fay' }, categories: ['food'] })).rejects.toThrow(/categories/);
    await expect(client.search('food', { filters: { topic: 'food' } })).rejects.toThrow(/user_id/);
  });

  it('update (text, metadata only), history, delete, batch update and delete', async () => {
    const { client } = await clientAndServer();
    const { results } = (await client.add([...said('I live in Porto.'), ...said('My cat is called Miso.')], { userId: 'fay', infer: false })) as unknown as {
      results: { id: string }[];
    };
    const [porto, miso] = results.map((r) => r.id) as [string, string];

    await client.update(porto, { text: 'I live in Lisbon.' });
    await client.update(porto, { metadata: { confirmed: true } });
    expect(await client.get(porto)).toMatchObject({ memory: 'I live in Lisbon.', metadata: { confirmed: true } });
    const history = await client.history(porto);
    expect(history.map((h) => [h.event, h.newMemory])).toEqual([
      ['ADD', 'I live in Porto.'],
      ['UPDATE', 'I live in Lisbon.'],
      ['UPDATE', 'I live in Lisbon.'],
    ]);

    await client.batchUpdate([{ memoryId: miso, text: 'My cat is called Mochi.' }]);
    expect((await client.get(miso)).memory).toBe('My cat is called Mochi.');
    await client.batchDelete([miso]);
    await expect(client.get(miso)).rejects.toThrow(/no current memory/);

    expect(await client.delete(porto)).toEqual({ message: 'Memory deleted successfully!' });
    expect((await client.getAll({ filters: { user_id: 'fay' } })).results).toEqual([]);
  });

  it('users, deleteAll by scope, and deleteUsers erase one user and no one else', async () => {
    const { client, memory } = await clientAndServer();
    await client.add(said('I love sushi.'), { userId: 'fay', infer: false });
    await client.add(said('I love ramen.'), { userId: 'bob', infer: false });
    await client.add(said('I book flights.'), { agentId: 'travel-bot', infer: false });

    const users = await client.users();
    expect(users.results.map((u) => [u.type, u.name, u.totalMemories]).sort()).toEqual([
      ['agent', 'travel-bot', 1],
      ['user', 'bob', 1],
      ['user', 'fay', 1],
    ]);

    await client.deleteAll({ agentId: 'travel-bot' });
    expect((await memory.getAll({ agentId: 'travel-bot' })).results).toEqual([]);

    await client.deleteUsers({ userId: 'fay' });
    expect((await memory.getAll({ userId: 'fay' })).results).toEqual([]);
    expect((await memory.getAll({ userId: 'bob' })).results.map((m) => m.memory)).toEqual(['I love ramen.']);
    // deleteAll without a scope would erase every user: Engram refuses it.
    await expect(client.deleteAll({})).rejects.toThrow(/user_id/);
  });

  it('an inferring add answers PENDING with an event id at once; the event follows the queue to SUCCEEDED', async () => {
    const llm = new ScriptedLlm(async () => ops({ event: 'ADD', text: 'Fay is vegetarian.', kind: 'semantic' }));
    const { client, server } = await clientAndServer({ memory: { llm } });
    const queued = (await client.add(said('I stopped eating meat.'), { userId: 'fay' })) as unknown as { status: string; eventId: string };
    // The client renames the answer's keys to camelCase: event_id arrives as eventId.
    expect(queued).toMatchObject({ status: 'PENDING', eventId: expect.any(String) });
    const event = async () =>
      (await (await fetch(`${server.url}/v1/event/${queued.eventId}/`, { headers: { authorization: `Token ${TOKEN}` } })).json()) as { status: string; results: unknown };
    await expect.poll(async () => (await event()).status, { timeout: 10_000 }).toBe('SUCCEEDED');
    expect((await event()).results).toEqual([{ id: expect.any(String), memory: 'Fay is vegetarian.', event: 'ADD' }]);
    expect((await client.search('diet', { filters: { user_id: 'fay' } })).results[0]?.memory).toBe('Fay is vegetarian.');
  });
});
