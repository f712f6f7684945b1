import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAPH_OPERATIONS_JSON_SCHEMA, OPERATIONS_JSON_SCHEMA, type Entity, type Neighbourhood, type Relation } from 'engram-memory';
import { engram } from './support/engram-cli.js';
import { entityId, graphStoryLlm, seedGraphStory } from './support/graph-story.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory, TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

/**
 * The entity graph from the command line: `engram graph entities | relations |
 * neighbours | merge`, the `--graph` / ENGRAM_GRAPH switch of the commands
 * that write, and the graph's counts in forget, export and import.
 */

/** A temp database, the test embedder, and no LLM file: only an LLM a test passes can infer. */
function setup(): { db: string; env: Record<string, string>; store: string[] } {
  const db = tempDbPath();
  const env = { ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL, ENGRAM_LLM_MODEL: join(tempDir(), 'no-llm.gguf') };
  return { db, env, store: ['--db', db] };
}

/** A file holding the story of support/graph-story.ts, written in-process, closed before the CLI opens it. */
async function seeded(): Promise<ReturnType<typeof setup> & { ids: Record<'anna' | 'bobby' | 'robert' | 'bobsAcme', string> }> {
  const context = setup();
  const memory = await openTestMemory({ path: context.db, graph: true, llm: graphStoryLlm(), queue: { worker: false } });
  await seedGraphStory(memory);
  const ids = {
    anna: await entityId(memory, 'alice', 'Anna'),
    bobby: await entityId(memory, 'alice', 'Bobby'),
    robert: await entityId(memory, 'alice', 'Robert Jones'),
    bobsAcme: await entityId(memory, 'bob', 'Acme'),
  };
  await memory.close();
  return { ...context, ids };
}

const today = () => new Date().toISOString().slice(0, 10);
const lines = (stdout: string) => stdout.trim().split('\n');

describe('engram graph', () => {
  it('links memories added before the graph was on, once (graph link)', async () => {
    const { store, env } = setup();
    const add = (content: string) => engram(['add', '--user', 'alice', '--no-infer', content, ...store], { env });
    expect((await add('My sister Anna lives in Porto.')).code).toBe(0);
    expect((await add('I like green tea.')).code).toBe(0);
    expect((await engram(['graph', 'entities', '--user', 'alice', '--json', ...store], { env })).json<{ results: Entity[] }>().results).toEqual([]);
    const linked = await engram(['graph', 'link', '--user', 'alice', ...store], { env });
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout.trim()).toBe('Linked 1 memory of 2 current in user alice to the entities they name.');
    const names = (await engram(['graph', 'entities', '--user', 'alice', '--json', ...store], { env })).json<{ results: Entity[] }>().results.map((e) => e.name);
    expect(names.sort()).toEqual(['Anna', 'Porto']);
    expect((await engram(['graph', 'link', '--user', 'alice', '--json', ...store], { env })).json()).toEqual({ linked: 0, memories: 2 });
    expect((await engram(['graph', 'link', 'extra', '--user', 'alice', ...store], { env })).code).toBe(2);
  });

  it('lists the entities and the relations of a scope: current, --as-of, --all, --entity; for people and with --json', async () => {
    const { store, env, ids } = await seeded();

    const entities = await engram(['graph', 'entities', '--user', 'alice', ...store], { env });
    expect(entities.code, entities.stderr).toBe(0);
    const entityLines = lines(entities.stdout);
    expect(entityLines.at(-1)).toBe('7 entities of user alice.');
    expect(entityLines).toContainEqual(expect.stringMatching(/^\S+ {2}user {10}alice$/));
    expect(entityLines).toContainEqual(expect.stringMatching(new RegExp(`^${ids.anna} {2}\\w+ +Anna$`)));
    const json = (await engram(['graph', 'entities', '--user', 'alice', '--json', ...store], { env })).json<{ results: Entity[] }>();
    expect(json.results.map((e) => e.name).sort()).toEqual(['Acme', 'Anna', 'Beta Labs', 'Bobby', 'Porto', 'Robert Jones', 'alice']);
    expect(json.results.every((e) => e.userId === 'alice')).toBe(true);
    const page = (await engram(['graph', 'entities', '--user', 'alice', '--limit', '2', '--offset', '1', '--json', ...store], { env })).json<{ results: Entity[] }>();
    expect(page.results.map((e) => e.id)).toEqual(json.results.slice(1, 3).map((e) => e.id));

    const current = await engram(['graph', 'relations', '--user', 'alice', ...store], { env });
    expect(lines(current.stdout).sort()).toEqual(
      [
        '5 relations of user alice.',
        'Anna —lives_in→ Porto  (since 2025-01-10)',
        'alice —sees→ Bobby  (since 2025-01-10)',
        'alice —sees→ Robert Jones  (since 2025-01-10)',
        'alice —sister_of→ Anna  (since 2025-01-10)',
        'alice —works_at→ Beta Labs  (since 2025-06-01)',
      ].sort(),
    );
    const all = await engram(['graph', 'relations', '--user', 'alice', '--all', ...store], { env });
    expect(lines(all.stdout)).toContain(`alice —works_at→ Acme  (2025-01-10 to 2025-06-01, retired ${today()})`);
    expect(lines(all.stdout).at(-1)).toBe('6 relations of user alice, retired ones too.');
    const then = await engram(['graph', 'relations', '--user', 'alice', '--as-of', '2025-03-01T00:00:00Z', '--json', ...store], { env });
    const thenNames = then.json<{ results: Relation[] }>().results.map((r) => `${r.source.name} ${r.relation} ${r.target.name}`);
    expect(thenNames).toContain('alice works_at Acme');
    expect(thenNames).not.toContain('alice works_at Beta Labs');
    const anna = await engram(['graph', 'relations', '--user', 'alice', '--entity', 'Anna', ...store], { env });
    expect(lines(anna.stdout).sort()).toEqual(['2 relations of user alice touching Anna.', 'Anna —lives_in→ Porto  (since 2025-01-10)', 'alice —sister_of→ Anna  (since 2025-01-10)'].sort());
    const byId = await engram(['graph', 'relations', '--user', 'alice', '--entity', ids.anna, '--json', ...store], { env });
    expect(byId.json<{ results: Relation[] }>().results).toHaveLength(2);
    expect((await engram(['graph', 'relations', '--user', 'carol', ...store], { env })).stdout).toBe('No relations of user carol.\n');
  });

  it('walks the neighbours of an entity (a name, an id or "me") to --depth, as of a date', async () => {
    const { store, env, ids } = await seeded();
    const one = await engram(['graph', 'neighbours', 'me', '--user', 'alice', ...store], { env });
    expect(one.code, one.stderr).toBe(0);
    const [head, ...rest] = lines(one.stdout);
    expect(head).toMatch(/^alice \(user, \S+\), up to 1 relation away:$/);
    expect(rest.filter((line) => line.startsWith('  ')).map((line) => line.replace(/ \(.*$/, '')).sort()).toEqual(['  1  Anna', '  1  Beta Labs', '  1  Bobby', '  1  Robert Jones']);
    expect(rest).toContain('alice —works_at→ Beta Labs  (since 2025-06-01)');
    expect(rest).not.toContain('Anna —lives_in→ Porto  (since 2025-01-10)');

    const two = (await engram(['graph', 'neighbours', 'me', '--depth', '2', '--user', 'alice', '--json', ...store], { env })).json<Neighbourhood>();
    expect(two.entities.map((e) => [e.name, e.distance])).toContainEqual(['Porto', 2]);
    const fromAnna = (await engram(['graph', 'neighbours', ids.anna, '--user', 'alice', '--json', ...store], { env })).json<Neighbourhood>();
    expect(fromAnna.entity.name).toBe('Anna');
    expect(fromAnna.entities.map((e) => e.name).sort()).toEqual(['Porto', 'alice']);
    const before = (await engram(['graph', 'neighbours', 'me', '--as-of', '2025-03-01T00:00:00Z', '--user', 'alice', '--json', ...store], { env })).json<Neighbourhood>();
    expect(before.entities.map((e) => e.name)).toContain('Acme');
    expect(before.entities.map((e) => e.name)).not.toContain('Beta Labs');
    const porto = await engram(['graph', 'neighbours', 'Porto', '--user', 'bob', ...store], { env });
    expect(porto).toMatchObject({ code: 3, stdout: '', stderr: 'engram: no entity named "Porto" in this scope [NOT_FOUND]\n' });
  });

  it('merges one entity kept twice into the other: its name becomes an alias, its relations move', async () => {
    const { store, env, ids } = await seeded();
    const merged = await engram(['graph', 'merge', ids.bobby, ids.robert, '--user', 'alice', ...store], { env });
    expect(merged).toMatchObject({ code: 0, stderr: '', stdout: `Merged ${ids.bobby} into Robert Jones (${ids.robert}); also called Bobby.\n` });
    const entities = (await engram(['graph', 'entities', '--user', 'alice', '--json', ...store], { env })).json<{ results: Entity[] }>().results;
    expect(entities.map((e) => e.name)).not.toContain('Bobby');
    expect(entities.find((e) => e.id === ids.robert)?.aliases).toEqual(['Bobby']);
    // The alias names the entity now.
    const bobby = await engram(['graph', 'relations', '--user', 'alice', '--entity', 'Bobby', '--json', ...store], { env });
    const moved = bobby.json<{ results: Relation[] }>().results;
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((r) => r.source.name === 'alice' && r.relation === 'sees' && r.target.id === ids.robert)).toBe(true);
    expect((await engram(['graph', 'merge', ids.anna, ids.robert, '--user', 'alice', '--json', ...store], { env })).json<Entity>()).toMatchObject({
      id: ids.robert,
      aliases: ['Bobby', 'Anna'],
    });
  });

  it('keeps each scope to itself: another user’s entity id is not found (exit code 3), for reads and for merge', async () => {
    const { store, env, ids } = await seeded();
    const asBob = await engram(['graph', 'neighbours', ids.anna, '--user', 'bob', ...store], { env });
    expect(asBob.code).toBe(3);
    expect(asBob.stderr).toMatch(/\[NOT_FOUND\]\n$/);
    expect((await engram(['graph', 'relations', '--entity', ids.anna, '--user', 'bob', ...store], { env })).code).toBe(3);
    const merge = await engram(['graph', 'merge', ids.bobsAcme, ids.robert, '--user', 'alice', ...store], { env });
    expect(merge).toMatchObject({ code: 3, stderr: `engram: no entity with id ${ids.bobsAcme} [NOT_FOUND]\n` });
    // The scope comes from ENGRAM_USER_ID too, as in list.
    const bobs = (await engram(['graph', 'entities', '--json', ...store], { env: { ...env, ENGRAM_USER_ID: 'bob' } })).json<{ results: Entity[] }>();
    expect(bobs.results.map((e) => e.name).sort()).toEqual(['Acme', 'bob']);
  });

  it('refuses bad usage with exit code 2 and the synopsis', async () => {
    const { store, env } = setup();
    const cases: [string[], RegExp][] = [
      [['graph', ...store], /missing what to do: entities, relations, neighbours, merge/],
      [['graph', 'edges', ...store], /must be one of entities, relations, neighbours, merge/],
      [['graph', 'neighbours', ...store], /missing the entity/],
      [['graph', 'neighbours', 'me', '--depth', '0', ...store], /--depth must be a whole number from 1 to 4, not "0"/],
      [['graph', 'neighbours', 'me', '--depth', '99', ...store], /--depth must be a whole number from 1 to 4, not "99"/],
      [['graph', 'relations', '--as-of', 'yesterday', ...store], /--as-of: must be an ISO 8601 date-time/],
      [['graph', 'neighbours', 'me', '--as-of', '2025-13-45T00:00:00Z', ...store], /--as-of: must be an ISO 8601 date-time/],
      [['graph', 'relations', '--all', '--as-of', '2025-01-01T00:00:00Z', ...store], /leave out --as-of, or --all/],
      [['graph', 'relations', '--depth', '2', ...store], /--depth applies to `engram graph neighbours`, not to relations/],
      [['graph', 'entities', '--entity', 'Acme', ...store], /--entity applies to `engram graph relations`, not to entities/],
      [['graph', 'entities', '--limit', '0', ...store], /--limit must be a whole number from 1 to 10000/],
      [['graph', 'relations', '--entity', '', ...store], /--entity: /],
      [['graph', 'merge', 'only-one', ...store], /missing the id of the entity to keep/],
      [['graph', 'entities', 'extra', ...store], /unexpected argument "extra"/],
      [['graph', 'entities', '--bogus', ...store], /unknown option --bogus/],
    ];
    for (const [args, message] of cases) {
      const run = await engram(args, { env });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr, args.join(' ')).toMatch(/Usage:\n {2}engram graph entities/);
    }
    const help = await engram(['graph', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^engram graph — the entity graph/);
    expect(help.stdout).toContain('alice —works_at→ Acme  (since 2025-01-10)');
    expect((await engram(['--help'])).stdout).toMatch(/^ {2}graph +the entity graph/m);
  });
});

describe('--graph and ENGRAM_GRAPH', () => {
  it('an add --no-infer with --graph links the names its text holds (the offline linker); without it, none', async () => {
    const { store, env } = setup();
    const text = 'I work at Acme with Dr. Smith in Lisbon.';
    expect((await engram(['add', '--user', 'alice', '--no-infer', text, ...store], { env })).code).toBe(0);
    expect((await engram(['graph', 'entities', '--user', 'alice', ...store], { env })).stdout).toBe('No entities of user alice.\n');

    const linked = await engram(['add', '--user', 'bob', '--no-infer', '--graph', text, ...store], { env });
    expect(linked.code, linked.stderr).toBe(0);
    const bobs = (await engram(['graph', 'entities', '--user', 'bob', '--json', ...store], { env })).json<{ results: Entity[] }>();
    expect(bobs.results.map((e) => e.name)).toEqual(expect.arrayContaining(['Acme', 'Dr. Smith', 'Lisbon']));
  });

  it('ENGRAM_GRAPH=1 turns it on the same way, for every writing command; a value that is not a switch is bad usage', async () => {
    const { store, env } = setup();
    const on = await engram(['add', '--user', 'alice', '--no-infer', 'My sister lives in Lisbon.', ...store], { env: { ...env, ENGRAM_GRAPH: '1' } });
    expect(on.code, on.stderr).toBe(0);
    const names = (await engram(['graph', 'entities', '--user', 'alice', '--json', ...store], { env })).json<{ results: Entity[] }>().results.map((e) => e.name);
    expect(names).toContain('Lisbon');
    // ENGRAM_GRAPH=0 (or unset) is off.
    await engram(['add', '--user', 'carol', '--no-infer', 'I fly to Paris.', ...store], { env: { ...env, ENGRAM_GRAPH: '0' } });
    expect((await engram(['graph', 'entities', '--user', 'carol', '--json', ...store], { env })).json()).toEqual({ results: [] });

    const bad = await engram(['add', '--user', 'alice', '--no-infer', 'x', ...store], { env: { ...env, ENGRAM_GRAPH: 'maybe' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ENGRAM_GRAPH must be 1 or 0 \(true\/false, yes\/no, on\/off\), not "maybe"/);
    // Commands that only read take no --graph.
    expect((await engram(['list', '--graph', ...store], { env })).code).toBe(2);
  });

  it('with --graph an inferring add asks the LLM for relations in its one call, and a worker records those of queued adds', async () => {
    const { store, env } = setup();
    const works = ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [{ source: 'I', relation: 'works_at', target: 'Acme' }] });
    const llm = new ScriptedLlm(works);
    const added = await engram(['add', '--user', 'alice', '--graph', 'I work at Acme.', ...store], { env, llm });
    expect(added.code, added.stderr).toBe(0);
    expect(llm.requests[0]?.schema).toEqual(GRAPH_OPERATIONS_JSON_SCHEMA);
    expect((await engram(['graph', 'relations', '--user', 'alice', ...store], { env })).stdout).toMatch(/^alice —works_at→ Acme {2}\(since \d{4}-\d\d-\d\d\)$/m);

    const queued = await engram(['add', '--user', 'bob', '--no-wait', '--json', 'I work at Acme.', ...store], { env });
    const jobId = queued.json<{ jobId: string }>().jobId;
    const plain = new ScriptedLlm(works);
    expect((await engram(['worker', '--once', ...store], { env, llm: plain })).stdout).toBe(`done ${jobId} user=bob: 1 ADD\n`);
    expect(plain.requests[0]?.schema).toEqual(OPERATIONS_JSON_SCHEMA);
    expect((await engram(['graph', 'relations', '--user', 'bob', '--json', ...store], { env })).json()).toEqual({ results: [] });

    const again = (await engram(['add', '--user', 'carol', '--no-wait', '--json', 'I work at Acme.', ...store], { env })).json<{ jobId: string }>().jobId;
    const graphLlm = new ScriptedLlm(works);
    expect((await engram(['worker', '--once', '--graph', ...store], { env, llm: graphLlm })).stdout).toBe(`done ${again} user=carol: 1 ADD\n`);
    expect(graphLlm.requests[0]?.schema).toEqual(GRAPH_OPERATIONS_JSON_SCHEMA);
    expect((await engram(['graph', 'relations', '--user', 'carol', ...store], { env })).stdout).toMatch(/^carol —works_at→ Acme /m);
  });
});

describe('forget, export and import count the graph', () => {
  it('forget erases the scope’s entities and relations and says how many; export and import count them too', async () => {
    const { store, env } = await seeded();
    const file = join(tempDir(), 'backup.jsonl');
    const exported = await engram(['export', '--out', file, '--json', ...store], { env });
    expect(exported.json()).toMatchObject({ file, memories: 4, entities: 9, relations: 7 });
    expect(readFileSync(file, 'utf8')).toMatch(/"type":"relation"/);
    expect((await engram(['export', '--out', file, ...store], { env })).stdout).toMatch(/^Exported 4 memories, 9 entities, 7 relations and \d+ messages to /);

    const target = ['--db', tempDbPath()];
    const imported = await engram(['import', file, ...target], { env });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/; entities: 9 added, 0 skipped; relations: 7 added, 0 skipped\.\n$/);
    const again = (await engram(['import', file, '--json', ...target], { env })).json();
    expect(again).toMatchObject({ entities: { added: 0, skipped: 9 }, relations: { added: 0, skipped: 7 } });
    const relations = (await engram(['graph', 'relations', '--user', 'alice', '--all', '--json', ...target], { env })).json<{ results: Relation[] }>();
    expect(relations.results).toHaveLength(6);

    const forgot = await engram(['forget', '--user', 'alice', '--yes', ...store], { env });
    expect(forgot.stdout).toMatch(/^Forgot user alice: 3 memories, 2 queued adds, 7 entities, 6 relations and 2 messages erased\.\n$/);
    expect((await engram(['graph', 'entities', '--user', 'alice', ...store], { env })).stdout).toBe('No entities of user alice.\n');
    expect((await engram(['forget', '--user', 'bob', '--yes', '--json', ...store], { env })).json()).toEqual({ memories: 1, messages: 1, jobs: 1, entities: 2, relations: 1 });
  });
});
