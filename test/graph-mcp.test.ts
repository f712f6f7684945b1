import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Neighbourhood } from 'engram-memory';
import { call, connectInProcess, spawnMcpServer, textOf } from './support/mcp-client.js';
import { entityId, graphStoryLlm, seedGraphStory } from './support/graph-story.js';
import { openTestMemory, TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/**
 * search_graph: the relations around an entity, as short lines a model can
 * read, in the server's scope; a polite answer when there is no graph or no
 * such entity; and `engram mcp --graph`.
 */

async function storyMemory() {
  const memory = await openTestMemory({ graph: true, llm: graphStoryLlm(), queue: { worker: false } });
  await seedGraphStory(memory);
  return memory;
}

const structured = (result: { structuredContent?: Record<string, unknown> | undefined }) => result.structuredContent as Neighbourhood;
const NO_GRAPH = /^There is no entity graph for this user yet: .*--graph.*search_memory still finds what they said\.$/;

describe('search_graph (in-process)', () => {
  it('answers the relations around an entity, one line each, and the neighbourhood as structured content', async () => {
    const memory = await storyMemory();
    const client = await connectInProcess(memory, { scope: { userId: 'alice' } });

    const anna = await call(client, 'search_graph', { name: 'Anna' });
    expect(anna.isError).toBeFalsy();
    const [head, ...lines] = textOf(anna).split('\n');
    expect(head).toMatch(/^2 relations around Anna \(\w+\), directly:$/);
    expect(lines.sort()).toEqual(['Anna —lives_in→ Porto (since 2025-01-10)', 'alice —sister_of→ Anna (since 2025-01-10)']);
    expect(structured(anna).entity).toMatchObject({ name: 'Anna', userId: 'alice' });
    expect(structured(anna).entities.map((e) => e.name).sort()).toEqual(['Porto', 'alice']);

    const me = await call(client, 'search_graph', { name: 'me', depth: 2 });
    expect(textOf(me)).toMatch(/^5 relations around alice \(user\), up to 2 relations away:$/m);
    expect(textOf(me)).toContain('Anna —lives_in→ Porto (since 2025-01-10)');
    expect(textOf(me)).toContain('alice —works_at→ Beta Labs (since 2025-06-01)');
    // Retired relations are not walked: Acme is where she worked.
    expect(textOf(me)).not.toContain('Acme');
  });

  it('keeps to the server’s scope: another user’s entity is unknown, and a client cannot name another user', async () => {
    const memory = await storyMemory();
    const bob = await connectInProcess(memory, { scope: { userId: 'bob' } });
    const annaId = await entityId(memory, 'alice', 'Anna');
    const byId = await call(bob, 'search_graph', { name: annaId });
    expect(byId.isError).toBeFalsy();
    expect(textOf(byId)).toBe(`Nothing named "${annaId}" is in this user's entity graph. search_memory may still find what they said about it.`);
    expect(byId.structuredContent).toEqual({ entities: [], relations: [] });
    expect(textOf(await call(bob, 'search_graph', { name: 'Acme' }))).toMatch(/^1 relation around Acme \(\w+\), directly:\nbob —works_at→ Acme \(since 2025-01-10\)$/);
    expect(await call(bob, 'search_graph', { name: 'Anna', user_id: 'alice' })).toMatchObject({ isError: true });

    const trusted = await connectInProcess(memory, { scope: { userId: 'bob' }, allowScopeOverride: true });
    expect(textOf(await call(trusted, 'search_graph', { name: 'Anna', user_id: 'alice' }))).toMatch(/^2 relations around Anna/);
  });

  it('answers politely when the store keeps no graph for the user, and refuses bad input as tool errors', async () => {
    const memory = await openTestMemory({ llm: null });
    await memory.add('I work at Acme.', { userId: 'alice', infer: false });
    const client = await connectInProcess(memory, { scope: { userId: 'alice' } });
    const none = await call(client, 'search_graph', { name: 'Acme' });
    expect(none.isError).toBeFalsy();
    expect(textOf(none)).toMatch(NO_GRAPH);

    for (const args of [{ name: 'Acme', depth: 0 }, { name: 'Acme', depth: 99 }, { name: '' }, { name: 'x'.repeat(201) }, { depth: 1 }, { name: 'Acme', as_of: 'yesterday' }]) {
      const refused = await call(client, 'search_graph', args);
      expect(refused.isError, JSON.stringify(args)).toBe(true);
    }
  });

  it('declares a strict input (name, depth 1 to 4) and its output schema', async () => {
    const client = await connectInProcess(await openTestMemory({ llm: null }), { scope: { userId: 'alice' } });
    const tool = (await client.listTools()).tools.find((t) => t.name === 'search_graph');
    expect(tool?.inputSchema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' }, depth: { type: 'integer', minimum: 1, maximum: 4, default: 1 } },
      required: ['name'],
      additionalProperties: false,
    });
    expect(Object.keys(tool?.outputSchema?.properties ?? {}).sort()).toEqual(['entities', 'entity', 'relations']);
    expect(tool?.annotations).toMatchObject({ readOnlyHint: true });
    expect(tool?.description?.length).toBeGreaterThan(80);
  });
});

describe('engram mcp --graph (the real server process)', () => {
  it('links the names of add_memories with infer: false, and search_graph finds them', async () => {
    const args = ['--db', tempDbPath(), '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', join(tempDir(), 'absent.gguf'), '--user', 'alice', '--graph'];
    const { client, stderr } = await spawnMcpServer(args);
    expect(textOf(await call(client, 'search_graph', { name: 'Lisbon' }))).toMatch(NO_GRAPH);
    await call(client, 'add_memories', { text: 'I work at Acme with Dr. Smith in Lisbon.', infer: false });
    const lisbon = await call(client, 'search_graph', { name: 'Lisbon' });
    expect(textOf(lisbon)).toBe('Lisbon (place) is known, but no current relation links it to anything.');
    expect(structured(lisbon).entity).toMatchObject({ name: 'Lisbon', type: 'place', userId: 'alice' });
    expect(stderr()).toMatch(/serving the memories of user "alice" from .* \(entity graph on\)/);
  });
});
