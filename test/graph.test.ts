import { describe, expect, it } from 'vitest';
import { GRAPH_OPERATIONS_JSON_SCHEMA, Memory, OPERATIONS_JSON_SCHEMA, type MemoryOptions } from 'engram-memory';
import { collect } from './support/collect.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory } from './support/test-memory.js';

/** The entity graph, driven by a scripted LLM, on every engine. */

const alice = { userId: 'alice' };
const bob = { userId: 'bob' };
const said = (content: string, day: string) => [{ role: 'user' as const, content, createdAt: `${day}T10:00:00Z` }];
const rel = (source: string, relation: string, target: string) => ({ source, relation, target });

async function open(llm: ScriptedLlm | null, extra: Partial<MemoryOptions> = {}): Promise<Memory> {
  return openTestMemory({ llm, graph: true, ...extra });
}

const names = (relations: { source: { name: string }; relation: string; target: { name: string } }[]) =>
  relations.map((r) => `${r.source.name} ${r.relation} ${r.target.name}`);

describe('the entity graph', () => {
  it('records the relations an ADD states, in the same single LLM call, with provenance; "I" is the scope’s user', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works at', 'Acme')] }));
    const memory = await open(llm);
    const { results } = await memory.add(said('I work at Acme.', '2025-01-10'), alice);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]!.schema).toEqual(GRAPH_OPERATIONS_JSON_SCHEMA);
    expect(llm.requests[0]!.messages[0]!.content).toContain('"relations"');
    const { results: relations } = await memory.graph.relations(alice);
    expect(names(relations)).toEqual(['alice works_at Acme']);
    expect(relations[0]).toMatchObject({ memoryId: results[0]!.id, validFrom: '2025-01-10T10:00:00.000Z', userId: 'alice' });
    expect(relations[0]!.messageIds).toHaveLength(1);
    expect(relations[0]!.validTo).toBeUndefined();
    expect(relations[0]!.retiredAt).toBeUndefined();
    const { results: entities } = await memory.graph.entities(alice);
    expect(entities.map((e) => [e.name, e.type])).toEqual(
      expect.arrayContaining([
        ['alice', 'user'],
        ['Acme', expect.any(String)],
      ]),
    );
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('closes a changed relation on both time axes, never deleting it; asOf reads either side', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] }),
      ops({ event: 'UPDATE', id: '0', text: 'Works at Beta Labs, no longer at Acme', relations: [rel('I', 'works_at', 'Beta Labs')] }),
    );
    const memory = await open(llm);
    await memory.add(said('I work at Acme.', '2025-01-10'), alice);
    const before = Date.now();
    await memory.add(said('I left Acme, I am at Beta Labs now.', '2025-06-01'), alice);
    const after = Date.now();

    expect(names((await memory.graph.relations(alice)).results)).toEqual(['alice works_at Beta Labs']);
    const all = (await memory.graph.relations({ ...alice, includeRetired: true })).results;
    expect(names(all)).toEqual(['alice works_at Acme', 'alice works_at Beta Labs']);
    const acme = all[0]!;
    // World time: true until the day she said she moved. Engram's time: retired when it learned that.
    expect(acme.validTo).toBe('2025-06-01T10:00:00.000Z');
    expect(Date.parse(acme.retiredAt!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(acme.retiredAt!)).toBeLessThanOrEqual(after);
    expect(names((await memory.graph.relations({ ...alice, asOf: '2025-03-01T00:00:00Z' })).results)).toEqual(['alice works_at Acme']);
    expect(names((await memory.graph.relations({ ...alice, asOf: '2025-07-01T00:00:00Z' })).results)).toEqual(['alice works_at Beta Labs']);
    expect(names((await memory.graph.relations({ ...alice, asOf: '2024-07-01T00:00:00Z' })).results)).toEqual([]);
  });

  it('retires the relations of a memory the model deletes, and of one the user deletes or rewrites', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: 'Has a dog named Rex', kind: 'semantic', relations: [rel('I', 'owns', 'Rex')] },
        { event: 'ADD', text: 'Lives in Lisbon', kind: 'semantic', relations: [rel('I', 'lives_in', 'Lisbon')] },
        { event: 'ADD', text: 'Plays chess with Anna', kind: 'semantic', relations: [rel('I', 'plays_chess_with', 'Anna')] },
      ),
      (request) => {
        const dog = /(\d+)\. Has a dog/.exec(request.messages.at(-1)!.content)![1]!;
        return ops({ event: 'DELETE', id: dog });
      },
    );
    const memory = await open(llm);
    const { results } = await memory.add(said('I have a dog, Rex. I live in Lisbon and play chess with Anna.', '2025-01-10'), alice);
    await memory.add(said('Forget the dog, I never had one.', '2025-02-01'), alice);
    expect(names((await memory.graph.relations(alice)).results)).toEqual(['alice lives_in Lisbon', 'alice plays_chess_with Anna']);

    const lisbon = results.find((r) => r.memory === 'Lives in Lisbon')!;
    const chess = results.find((r) => r.memory === 'Plays chess with Anna')!;
    await memory.delete(lisbon.id, alice);
    await memory.update(chess.id, 'Plays go with Anna');
    expect((await memory.graph.relations(alice)).results).toEqual([]);
    const retired = (await memory.graph.relations({ ...alice, includeRetired: true })).results;
    expect(retired).toHaveLength(3);
    for (const r of retired) expect(r.retiredAt).toBeDefined();
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('merges names of one entity ("Dr. Smith", "my cardiologist Smith"), never two different Smiths, never one name twice', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Sees Dr. Smith', kind: 'semantic', relations: [rel('I', 'sees', 'Dr. Smith')] }),
      ops({ event: 'ADD', text: 'Her cardiologist Smith moved her check-up', kind: 'episodic', relations: [rel('my cardiologist Smith', 'treats', 'me')] }),
      ops(
        { event: 'ADD', text: 'Knows John Smith from school', kind: 'semantic', relations: [rel('I', 'knows', 'John Smith')] },
        { event: 'ADD', text: 'Anna Smith is her neighbour', kind: 'semantic', relations: [rel('Anna Smith', 'neighbour_of', 'I')] },
      ),
      ops({ event: 'ADD', text: 'Sees Dr. Smith on Mondays', kind: 'semantic', relations: [rel('I', 'sees', 'dr. smith')] }),
    );
    const memory = await open(llm);
    await memory.add(said('I see Dr. Smith.', '2025-01-10'), alice);
    await memory.add(said('My cardiologist Smith moved my check-up.', '2025-01-11'), alice);
    const smiths = () => memory.graph.entities(alice).then(({ results }) => results.filter((e) => /smith/i.test([e.name, ...e.aliases].join(' '))));
    expect((await smiths()).map((e) => [e.name, e.aliases])).toEqual([['Dr. Smith', ['my cardiologist Smith']]]);

    await memory.add(said('I know John Smith from school, and Anna Smith lives next door.', '2025-01-12'), alice);
    expect((await smiths()).map((e) => e.name)).toEqual(['Dr. Smith', 'John Smith', 'Anna Smith']);
    await memory.add(said('I see Dr. Smith on Mondays.', '2025-01-13'), alice);
    expect(await smiths()).toHaveLength(3);
    // "sees Dr. Smith" was stated twice: it is kept once.
    expect(names((await memory.graph.relations({ ...alice, entity: 'Dr. Smith' })).results)).toEqual(['alice sees Dr. Smith', 'Dr. Smith treats alice']);
  });

  it('walks the neighbourhood of an entity to the depth asked', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: 'Her sister is Anna', kind: 'semantic', relations: [rel('I', 'sister_of', 'Anna')] },
        { event: 'ADD', text: 'Anna works at Acme', kind: 'semantic', relations: [rel('Anna', 'works_at', 'Acme')] },
        { event: 'ADD', text: 'Acme is based in Porto', kind: 'semantic', relations: [rel('Acme', 'based_in', 'Porto')] },
      ),
    );
    const memory = await open(llm);
    await memory.add(said('My sister Anna works at Acme, in Porto.', '2025-01-10'), alice);
    const one = await memory.graph.neighbours('me', { ...alice, depth: 1 });
    expect(one.entity.name).toBe('alice');
    expect(one.entities.map((e) => [e.name, e.distance])).toEqual([['Anna', 1]]);
    const two = await memory.graph.neighbours('me', { ...alice, depth: 2 });
    expect(two.entities.map((e) => [e.name, e.distance])).toEqual([
      ['Anna', 1],
      ['Acme', 2],
    ]);
    expect(names(two.relations).sort()).toEqual(['Anna works_at Acme', 'alice sister_of Anna']);
    const three = await memory.graph.neighbours('Anna', { ...alice, depth: 3 });
    expect(three.entities.map((e) => e.name).sort()).toEqual(['Acme', 'Porto', 'alice']);
    await expect(memory.graph.neighbours('Zed', alice)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps each scope’s graph to itself: another user neither sees nor changes it', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] }),
      ops({ event: 'ADD', text: 'Works at Acme too', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] }),
    );
    const memory = await open(llm);
    await memory.add(said('I work at Acme.', '2025-01-10'), alice);
    await memory.add(said('I work at Acme too.', '2025-01-10'), bob);
    const aliceEntities = (await memory.graph.entities(alice)).results;
    const bobEntities = (await memory.graph.entities(bob)).results;
    expect(aliceEntities.map((e) => e.name).sort()).toEqual(['Acme', 'alice']);
    expect(bobEntities.map((e) => e.name).sort()).toEqual(['Acme', 'bob']);
    expect(aliceEntities.some((a) => bobEntities.some((b) => b.id === a.id))).toBe(false);
    const bobsAcme = bobEntities.find((e) => e.name === 'Acme')!;
    await expect(memory.graph.neighbours(bobsAcme.id, alice)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(memory.graph.relations({ ...alice, entity: bobsAcme.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(memory.graph.entities({})).rejects.toMatchObject({ code: 'SCOPE_REQUIRED' });

    await memory.forget(alice);
    expect((await memory.graph.entities(alice)).results).toEqual([]);
    expect(names((await memory.graph.relations(bob)).results)).toEqual(['bob works_at Acme']);
  });

  it('drops hostile relations and counts them: self-loops, empty or endless names, 1,000 relations in one fact', async () => {
    const many = Array.from({ length: 1_000 }, (_, i) => rel('I', 'knows', `Person ${i}`));
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: 'Knows many people', kind: 'semantic', relations: many },
        {
          event: 'ADD',
          text: 'Is her own friend',
          kind: 'semantic',
          relations: [rel('I', 'friend_of', 'me'), rel('', 'knows', 'Anna'), rel('Anna', '', 'Ben'), rel('Anna', 'knows', 'x'.repeat(10_000)), rel('Anna', 'knows', 'Ben\u0000')],
        },
        { event: 'UPDATE', id: '7', text: 'not a candidate', relations: [rel('I', 'knows', 'Eve')] },
      ),
    );
    const memory = await open(llm);
    const { results, droppedOperations } = await memory.add(said('I know everyone.', '2025-01-10'), alice);
    expect(results.map((r) => r.event)).toEqual(['ADD', 'ADD']);
    // 992 beyond the cap of 8, 5 unusable relations, 1 operation on an unknown id.
    expect(droppedOperations).toBe(992 + 5 + 1);
    const relations = (await memory.graph.relations(alice)).results;
    expect(relations).toHaveLength(8);
    expect(relations.every((r) => r.source.id !== r.target.id)).toBe(true);
    expect((await memory.graph.entities(alice)).results.map((e) => e.name)).not.toContain('Eve');
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('in a batch of queued adds (one LLM call), each relation keeps its own add’s messages and date', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: 'Her sister Anna lives in Lisbon', kind: 'semantic', relations: [rel('Anna', 'lives_in', 'Lisbon'), rel('I', 'sister_of', 'Anna')] },
        { event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] },
      ),
    );
    const memory = await open(llm, { queue: { worker: false } });
    const first = await memory.add(said('My sister Anna lives in Lisbon.', '2025-01-10'), { ...alice, wait: false });
    const second = await memory.add(said('I work at Acme.', '2025-01-11'), { ...alice, wait: false });
    await memory.flush({ timeoutMs: 10_000 });
    expect(llm.requests).toHaveLength(1);
    const jobs = [await memory.job(first.jobId), await memory.job(second.jobId)];
    const relations = (await memory.graph.relations(alice)).results;
    const of = (text: string) => relations.find((r) => `${r.source.name} ${r.relation} ${r.target.name}` === text)!;
    expect(of('Anna lives_in Lisbon')).toMatchObject({ messageIds: jobs[0]!.messageIds, validFrom: '2025-01-10T10:00:00.000Z' });
    expect(of('alice sister_of Anna')).toMatchObject({ messageIds: jobs[0]!.messageIds });
    expect(of('alice works_at Acme')).toMatchObject({ messageIds: jobs[1]!.messageIds, validFrom: '2025-01-11T10:00:00.000Z' });
  });

  it('asks for no relations with the graph off, and stores none whatever the model says', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] }));
    const memory = await openTestMemory({ llm });
    await memory.add(said('I work at Acme.', '2025-01-10'), alice);
    expect(llm.requests[0]!.schema).toEqual(OPERATIONS_JSON_SCHEMA);
    expect(llm.requests[0]!.messages[0]!.content).not.toContain('"relations"');
    expect((await memory.graph.relations({ ...alice, includeRetired: true })).results).toEqual([]);
  });

  it('links memories stored before the graph was on (graph.link, and import into a store that keeps one), once', async () => {
    const before = await openTestMemory({ llm: null });
    const chat = { runId: 'club' };
    const turn = (name: string, content: string) => before.add([{ role: 'user', name, content }], { ...chat, infer: false });
    await turn('Caroline', 'I went to the support group in Boston.');
    await turn('Melanie', 'We went camping at the lake.');
    await turn('Melanie', 'Sounds lovely!');
    expect((await before.graph.entities(chat)).results).toEqual([]);
    const lines = (await collect(before.export())).map((r) => JSON.stringify(r));

    const progress: number[] = [];
    expect(await before.graph.link({ ...chat, onProgress: (p) => progress.push(p.done) })).toEqual({ linked: 3, memories: 3 });
    expect(progress).toEqual([3]);
    expect((await before.graph.entities(chat)).results.map((e) => e.name)).toEqual(['Caroline', 'Boston', 'Melanie']);
    expect(await before.graph.link()).toEqual({ linked: 0, memories: 3 });
    const { results } = await before.search('Where did Caroline go?', { ...chat, graph: true, explain: true, limit: 1 });
    expect(results[0]?.signals?.entity).toBe(1);

    // An export without a graph, imported where the graph is kept: linked as the adds would have been.
    const target = await open(null);
    await target.import(lines);
    expect((await target.graph.entities(chat)).results.map((e) => e.name)).toEqual(['Caroline', 'Boston', 'Melanie']);
    expect(await target.verify()).toEqual({ ok: true, problems: [] });
  });

  it('moves the graph through export and import, and reset erases it', async () => {
    const llm = new ScriptedLlm(
      ops({ event: 'ADD', text: 'Works at Acme', kind: 'semantic', relations: [rel('I', 'works_at', 'Acme')] }),
      ops({ event: 'UPDATE', id: '0', text: 'Works at Beta Labs', relations: [rel('I', 'works_at', 'Beta Labs')] }),
    );
    const memory = await open(llm);
    await memory.add(said('I work at Acme.', '2025-01-10'), alice);
    await memory.add(said('Now at Beta Labs.', '2025-06-01'), alice);
    const lines = (await collect(memory.export())).map((r) => JSON.stringify(r));
    const target = await open(null);
    const imported = await target.import(lines);
    expect(imported.entities).toEqual({ added: 3, skipped: 0 });
    expect(imported.relations).toEqual({ added: 2, skipped: 0 });
    const everything = async (m: Memory) => ({
      entities: (await m.graph.entities(alice)).results,
      relations: (await m.graph.relations({ ...alice, includeRetired: true })).results.map(({ messageIds: _ids, ...r }) => r),
    });
    expect(await everything(target)).toEqual(await everything(memory));
    const again = await target.import(lines);
    expect(again.entities).toEqual({ added: 0, skipped: 3 });
    expect(again.relations).toEqual({ added: 0, skipped: 2 });
    expect(await target.verify()).toEqual({ ok: true, problems: [] });
    await target.reset();
    expect((await target.graph.entities(alice)).results).toEqual([]);
  });
});
