import { describe, expect, it } from 'vitest';
import { engram } from './support/engram-cli.js';
import { call, connectInProcess } from './support/mcp-client.js';
import { expectError, startTestServer } from './support/rest-server.js';
import { openTestMemory, tempDbPath, TEST_EMBEDDING_MODEL } from './support/test-memory.js';

// Expiry on every surface: the CLI, REST (Engram's routes and Mem0's hosted ones, with Mem0's expiration_date), MCP.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('engram add --expires, update --expires, purge --expired', () => {
  it('stores an expiry from a lifetime or a day, changes or clears it, and purges what expired', async () => {
    const env = { ENGRAM_DB: tempDbPath(), ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL };
    const before = Date.now();
    const trip = (await engram(['add', '--user', 'ana', '--no-infer', '--expires', '30d', '--json', 'Staying at Hotel Lux'], { env })).json() as { results: { id: string }[] };
    const id = trip.results[0]!.id;
    const shown = (await engram(['get', id, '--json'], { env })).json() as { expiresAt: string };
    expect(Math.round((Date.parse(shown.expiresAt) - before) / 86_400_000)).toBe(30);
    expect((await engram(['get', id], { env })).stdout).toMatch(/^expires +\d{4}-/m);
    // A day: through that day (UTC).
    const moved = (await engram(['update', id, '--expires', '2099-01-31', '--json'], { env })).json() as { memory: string; version: number; expiresAt: string };
    expect(moved).toMatchObject({ memory: 'Staying at Hotel Lux', version: 2, expiresAt: '2099-02-01T00:00:00.000Z' });
    const never = (await engram(['update', id, '--expires', 'never', '--json'], { env })).json() as { expiresAt?: string };
    expect(never.expiresAt).toBeUndefined();
    const bad = await engram(['add', '--user', 'ana', '--no-infer', '--expires', 'soon', 'x'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expires must be a lifetime/);
    const past = await engram(['add', '--user', 'ana', '--no-infer', '--expires', '2020-01-01', 'x'], { env });
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/not in the future/);

    // One that expires in a moment, then purge.
    const soon = new Date(Date.now() + 1_500).toISOString();
    await engram(['add', '--user', 'bob', '--no-infer', '--expires', soon, 'Bob is at the airport'], { env });
    await sleep(Math.max(0, Date.parse(soon) - Date.now() + 100));
    expect((await engram(['list', '--user', 'bob', '--json'], { env })).json()).toMatchObject({ results: [] });
    expect((await engram(['purge'], { env })).code).toBe(2);
    const dry = await engram(['purge', '--expired', '--dry-run'], { env });
    expect(dry.stdout).toMatch(/Would erase 1 expired memory, with 1 message, 0 entities, 0 relations only they held/);
    expect((await engram(['purge', '--expired', '--user', 'ana', '--json'], { env })).json()).toEqual({ dryRun: false, memories: 0, messages: 0, entities: 0, relations: 0 });
    expect((await engram(['purge', '--expired'], { env })).stdout).toMatch(/Erased 1 expired memory/);
    expect((await engram(['purge', '--expired'], { env })).stdout).toMatch(/No expired memories/);
    expect((await engram(['list', '--user', 'ana', '--json'], { env })).json()).toMatchObject({ results: [{ id }] });
  });
});

describe('REST expiry', () => {
  it('takes expiration_date on add and update (Engram’s routes and Mem0’s hosted ones), shows it, and purges', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    const added = await api.post('/memories', { messages: 'Staying at Hotel Lux', user_id: 'ana', infer: false, expiration_date: '2099-01-31' });
    expect(added.status).toBe(200);
    const id = added.body.results[0].id as string;
    expect((await api.get(`/memories/${id}`)).body.expiration_date).toBe('2099-02-01T00:00:00.000Z');
    const cleared = await api.put(`/memories/${id}`, { expiration_date: null });
    expect([cleared.body.version, cleared.body.expiration_date, cleared.body.memory]).toEqual([2, undefined, 'Staying at Hotel Lux']);
    const set = await api.put(`/v1/memories/${id}/`, { expiration_date: '2099-03-01T10:00:00Z' });
    expect(set.body.expiration_date).toBe('2099-03-01T10:00:00.000Z');
    expectError(await api.post('/memories', { messages: 'x', user_id: 'ana', infer: false, expiration_date: '2020-01-01' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/memories', { messages: 'x', user_id: 'ana', infer: false, expiration_date: 'next week' }), 400, 'INVALID_INPUT');
    expectError(await api.put(`/memories/${id}`, {}), 400, 'INVALID_INPUT');
    // Mem0's hosted add, waiting for the result.
    const hosted = await api.post('/v1/memories/', { messages: [{ role: 'user', content: 'Bob is at the airport' }], user_id: 'bob', infer: false, expiration_date: new Date(Date.now() + 700).toISOString() });
    expect(hosted.status).toBe(200);
    // A read with expiration_date is refused: expired memories leave reads on their own.
    const refused = await api.post('/v3/memories/search/', { query: 'airport', filters: { user_id: 'bob' }, expiration_date: '2099-01-01' });
    expect([refused.status, refused.body.error.code, refused.body.detail]).toEqual([400, 'INVALID_INPUT', expect.stringMatching(/leave searches and lists on their own/)]);
    await sleep(800);
    expect((await api.get('/memories?user_id=bob')).body.results).toEqual([]);
    expect((await api.post('/expired/purge', { dry_run: true })).body).toEqual({ dry_run: true, erased: { memories: 1, messages: 1, entities: 0, relations: 0 } });
    expect((await api.post('/expired/purge', { user_id: 'bob' })).body.erased.memories).toBe(1);
    expectError(await api.post('/expired/purge', { dryrun: true }), 400, 'INVALID_INPUT');
    expect(await memory.count({ userId: 'ana' })).toBe(1);
  });

  it('PUT /policy takes categories and expire_after_days, and answers in snake_case', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    const set = await api.put('/policy', { categories: true, expire_after_days: { episodic: 30, run: 7 } });
    expect(set.status).toBe(200);
    expect(set.body.policy).toEqual({ categories: true, expire_after_days: { episodic: 30, run: 7 } });
    expect(await memory.policy()).toEqual({ categories: true, expireAfterDays: { episodic: 30, run: 7 } });
    expectError(await api.put('/policy', { expire_after_days: { weekly: 3 } }), 400, 'INVALID_INPUT');
    expect((await api.get('/policy')).body.policy.expire_after_days).toEqual({ episodic: 30, run: 7 });
  });
});

describe('MCP expiry', () => {
  it('add_memories takes expires_at for what should be forgotten later', async () => {
    const memory = await openTestMemory({ llm: null });
    const client = await connectInProcess(memory, { scope: { userId: 'alice' } });
    const result = await call(client, 'add_memories', { text: 'I am in Lisbon until Sunday.', infer: false, expires_at: '2099-01-04' });
    expect(result.isError).toBeFalsy();
    expect((await memory.getAll({ userId: 'alice' })).results.map((m) => m.expiresAt)).toEqual(['2099-01-05T00:00:00.000Z']);
    expect(await call(client, 'add_memories', { text: 'Old news.', infer: false, expires_at: '2001-01-01' })).toMatchObject({ isError: true });
  });
});
