import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { runServeCommand } from '../src/cli/serve-command.js';
import { expectError, RestClient, startTestServer, type JsonDocument } from './support/rest-server.js';
import { entityId, graphStoryLlm, seedGraphStory } from './support/graph-story.js';
import { TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/**
 * The entity graph over REST: `GET /graph/entities`, `GET /graph/relations`,
 * `GET /graph/neighbours/:entity` and `POST /graph/merge`, in snake_case,
 * inside the scope given; and `engram serve --graph`.
 */

/** A server over the story of support/graph-story.ts. */
async function storyServer(): Promise<{ memory: Memory; api: RestClient }> {
  const { memory, api } = await startTestServer({ memory: { graph: true, llm: graphStoryLlm(), queue: { worker: false } } });
  await seedGraphStory(memory);
  return { memory, api };
}

const described = (relations: JsonDocument[]) => relations.map((r) => `${r.source.name} ${r.relation} ${r.target.name}`).sort();
const camelKeys = (value: unknown): string[] =>
  typeof value !== 'object' || value === null
    ? []
    : Object.entries(value).flatMap(([key, child]) => [...(/[A-Z]/.test(key) ? [key] : []), ...camelKeys(child)]);

describe('the /graph routes', () => {
  it('POST /search returns the relations around the query’s entities beside the memories, in snake_case', async () => {
    const { api } = await storyServer();
    const reply = await api.post('/search', { query: 'Where does Anna live?', user_id: 'alice' });
    expect(reply.status).toBe(200);
    expect(described(reply.body.relations)).toContain('Anna lives_in Porto');
    expect(reply.body.relations[0]).toMatchObject({ valid_from: expect.any(String), recorded_at: expect.any(String) });
    expect(camelKeys(reply.body.relations)).toEqual([]);
  });

  it('GET /graph/entities lists a scope’s entities in snake_case, with limit and offset', async () => {
    const { api } = await storyServer();
    const reply = await api.get('/graph/entities?user_id=alice');
    expect(reply.status).toBe(200);
    expect(reply.body.results.map((e: JsonDocument) => e.name).sort()).toEqual(['Acme', 'Anna', 'Beta Labs', 'Bobby', 'Porto', 'Robert Jones', 'alice']);
    expect(reply.body.results.find((e: JsonDocument) => e.name === 'alice')).toEqual({
      id: expect.any(String),
      name: 'alice',
      type: 'user',
      aliases: [],
      user_id: 'alice',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(camelKeys(reply.body)).toEqual([]);
    const page = await api.get('/graph/entities?user_id=alice&limit=2&offset=1');
    expect(page.body.results.map((e: JsonDocument) => e.id)).toEqual(reply.body.results.slice(1, 3).map((e: JsonDocument) => e.id));
    expect((await api.get('/graph/entities?userId=bob')).body.results.map((e: JsonDocument) => e.name).sort()).toEqual(['Acme', 'bob']);
  });

  it('GET /graph/relations: the current ones, those true at as_of, every one with include_retired, those of one entity', async () => {
    const { api } = await storyServer();
    const current = await api.get('/graph/relations?user_id=alice');
    expect(current.status).toBe(200);
    expect(described(current.body.results)).toEqual(
      ['Anna lives_in Porto', 'alice sees Bobby', 'alice sees Robert Jones', 'alice sister_of Anna', 'alice works_at Beta Labs'].sort(),
    );
    const beta = current.body.results.find((r: JsonDocument) => r.target.name === 'Beta Labs');
    expect(beta).toEqual({
      id: expect.any(String),
      source: { id: expect.any(String), name: 'alice' },
      relation: 'works_at',
      target: { id: expect.any(String), name: 'Beta Labs' },
      valid_from: '2025-06-01T10:00:00.000Z',
      recorded_at: expect.any(String),
      memory_id: expect.any(String),
      message_ids: [expect.any(Number)],
      user_id: 'alice',
    });

    const all = await api.get('/graph/relations?user_id=alice&include_retired=true');
    const acme = all.body.results.find((r: JsonDocument) => r.target.name === 'Acme');
    expect(acme).toMatchObject({ relation: 'works_at', valid_from: '2025-01-10T10:00:00.000Z', valid_to: '2025-06-01T10:00:00.000Z', retired_at: expect.any(String) });
    expect(all.body.results).toHaveLength(6);
    expect((await api.get('/graph/relations?user_id=alice&includeRetired=false')).body.results).toHaveLength(5);

    const then = await api.get(`/graph/relations?user_id=alice&as_of=${encodeURIComponent('2025-03-01T00:00:00Z')}`);
    expect(described(then.body.results)).toContain('alice works_at Acme');
    expect(described(then.body.results)).not.toContain('alice works_at Beta Labs');
    const anna = await api.get('/graph/relations?user_id=alice&entity=Anna');
    expect(described(anna.body.results)).toEqual(['Anna lives_in Porto', 'alice sister_of Anna']);
  });

  it('GET /graph/neighbours/:entity walks to depth from a name (URL-encoded), an id or "me"', async () => {
    const { memory, api } = await storyServer();
    const one = await api.get('/graph/neighbours/me?user_id=alice');
    expect(one.status).toBe(200);
    expect(one.body.entity).toMatchObject({ name: 'alice', type: 'user', user_id: 'alice' });
    expect(one.body.entities.map((e: JsonDocument) => [e.name, e.distance]).sort()).toEqual([
      ['Anna', 1],
      ['Beta Labs', 1],
      ['Bobby', 1],
      ['Robert Jones', 1],
    ]);
    expect(camelKeys(one.body)).toEqual([]);
    const two = await api.get('/graph/neighbours/me?user_id=alice&depth=2');
    expect(two.body.entities.map((e: JsonDocument) => [e.name, e.distance])).toContainEqual(['Porto', 2]);
    expect(described(two.body.relations)).toContain('Anna lives_in Porto');
    const robert = await api.get('/graph/neighbours/Robert%20Jones?user_id=alice');
    expect(robert.body.entity.id).toBe(await entityId(memory, 'alice', 'Robert Jones'));
    const byId = await api.get(`/graph/neighbours/${await entityId(memory, 'alice', 'Anna')}?user_id=alice`);
    expect(byId.body.entities.map((e: JsonDocument) => e.name).sort()).toEqual(['Porto', 'alice']);
    const before = await api.get(`/graph/neighbours/me?user_id=alice&as_of=2025-03-01T00:00:00Z`);
    expect(before.body.entities.map((e: JsonDocument) => e.name)).toContain('Acme');
    expectError(await api.get('/graph/neighbours/Zed?user_id=alice'), 404, 'NOT_FOUND');
  });

  it('POST /graph/merge folds one entity into another of the scope and answers the entity kept', async () => {
    const { memory, api } = await storyServer();
    const bobby = await entityId(memory, 'alice', 'Bobby');
    const robert = await entityId(memory, 'alice', 'Robert Jones');
    const merged = await api.post('/graph/merge', { from: bobby, into: robert, user_id: 'alice' });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ id: robert, name: 'Robert Jones', aliases: ['Bobby'], user_id: 'alice', updated_at: expect.any(String) });
    expect((await api.get('/graph/entities?user_id=alice')).body.results.map((e: JsonDocument) => e.id)).not.toContain(bobby);
    expect((await api.get('/graph/neighbours/Bobby?user_id=alice')).body.entity.id).toBe(robert);
    expectError(await api.post('/graph/merge', { from: bobby, into: robert, user_id: 'alice' }), 404, 'NOT_FOUND');
  });

  it('stays inside the scope given: another user’s entity is 404, as an unknown one', async () => {
    const { memory, api } = await storyServer();
    const anna = await entityId(memory, 'alice', 'Anna');
    const bobsAcme = await entityId(memory, 'bob', 'Acme');
    const robert = await entityId(memory, 'alice', 'Robert Jones');
    expectError(await api.get(`/graph/neighbours/${anna}?user_id=bob`), 404, 'NOT_FOUND');
    expectError(await api.get(`/graph/relations?user_id=bob&entity=${anna}`), 404, 'NOT_FOUND');
    expectError(await api.post('/graph/merge', { from: bobsAcme, into: robert, user_id: 'alice' }), 404, 'NOT_FOUND');
    expectError(await api.post('/graph/merge', { from: robert, into: bobsAcme, user_id: 'bob' }), 404, 'NOT_FOUND');
    expect((await api.get('/graph/entities?user_id=carol')).body).toEqual({ results: [] });
    expect(await entityId(memory, 'bob', 'Acme')).toBe(bobsAcme);
  });

  it('refuses a missing scope, bad values and unknown parameters with 400, and other methods with 405', async () => {
    const { memory, api } = await storyServer();
    const robert = await entityId(memory, 'alice', 'Robert Jones');
    expectError(await api.get('/graph/entities'), 400, 'SCOPE_REQUIRED');
    expectError(await api.get('/graph/relations?entity=Anna'), 400, 'SCOPE_REQUIRED');
    expectError(await api.get('/graph/neighbours/me'), 400, 'SCOPE_REQUIRED');
    expectError(await api.post('/graph/merge', { from: robert, into: robert }), 400, 'SCOPE_REQUIRED');
    for (const path of [
      '/graph/neighbours/me?user_id=alice&depth=0',
      '/graph/neighbours/me?user_id=alice&depth=99',
      '/graph/neighbours/me?user_id=alice&depth=two',
      '/graph/neighbours/me?user_id=alice&as_of=yesterday',
      '/graph/relations?user_id=alice&as_of=2025-13-45T00:00:00Z',
      '/graph/relations?user_id=alice&include_retired=yes',
      '/graph/relations?user_id=alice&entity=',
      '/graph/relations?user_id=alice&depth=2',
      '/graph/entities?user_id=alice&limit=0',
      '/graph/entities?user_id=alice&user_id=bob',
      '/graph/entities?user_id=alice&foo=1',
    ]) {
      expectError(await api.get(path), 400, 'INVALID_INPUT');
    }
    expectError(await api.post('/graph/merge', { from: robert, into: robert, user_id: 'alice' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/graph/merge', { from: robert, user_id: 'alice' }), 400, 'INVALID_INPUT');
    expectError(await api.post('/graph/merge', { from: robert, into: 'x', user_id: 'alice', force: true }), 400, 'INVALID_INPUT');
    const wrongMethod = await api.post('/graph/entities?user_id=alice');
    expectError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });
});

describe('engram serve --graph', () => {
  /** `engram serve` on a fresh file; `stop` resolves to its exit code. */
  async function serve(flags: string[], env: Record<string, string> = {}) {
    const out: string[] = [];
    const controller = new AbortController();
    const args = ['--db', tempDbPath(), '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', `${tempDir()}/none.gguf`, '--port', '0', ...flags];
    const exit = runServeCommand(args, { out: (line) => out.push(line), err: { write: () => true }, env, signal: controller.signal });
    await expect.poll(() => out.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out[0] ?? '')?.[0] as string;
    return { api: new RestClient(url), line: out[0] ?? '', stop: () => (controller.abort(), exit) };
  }
  const add = { messages: 'I work at Acme with Dr. Smith in Lisbon.', user_id: 'alice', infer: false };
  const names = async (api: RestClient) => (await api.get('/graph/entities?user_id=alice')).body.results.map((e: JsonDocument) => e.name);

  it('links the names of an add without inference with --graph or ENGRAM_GRAPH=1; without either, the graph stays empty', async () => {
    const plain = await serve([]);
    expect(plain.line).not.toMatch(/entity graph/);
    expect((await plain.api.post('/memories', add)).status).toBe(200);
    expect(await names(plain.api)).toEqual([]);
    expect(await plain.stop()).toBe(0);

    for (const [flags, env] of [[['--graph'], {}], [[], { ENGRAM_GRAPH: '1' }]] as const) {
      const on = await serve([...flags], env);
      expect(on.line).toMatch(/\(db: .*, entity graph on\)$/);
      expect((await on.api.post('/memories', add)).status).toBe(200);
      expect(await names(on.api)).toEqual(expect.arrayContaining(['Acme', 'Dr. Smith', 'Lisbon']));
      expect(await on.stop()).toBe(0);
    }
  });
});
