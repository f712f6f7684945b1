import { describe, expect, it } from 'vitest';
import type { Memory, Scope } from 'engram-memory';
import { HashingEmbedder } from './support/hashing-embedder.js';
import { pick, seededRandom } from './support/seeded-random.js';
import { openTestMemory, TEST_ENGINE } from './support/test-memory.js';

const SEED = Number(process.env.ENGRAM_PROPERTY_SEED ?? 4242);
// PGlite (PostgreSQL in WebAssembly) is several times slower per call than SQLite: fewer operations there by default.
const OPERATIONS = Number(process.env.ENGRAM_PROPERTY_OPS ?? (TEST_ENGINE === 'postgres' ? 600 : 2500));

/** 50 scopes: users alone, with agents, with runs, agents alone, runs alone, and overlaps between them. */
function scopes(): Scope[] {
  const list: Scope[] = [];
  for (let u = 0; u < 15; u++) list.push({ userId: `user-${u}` });
  for (let u = 0; u < 10; u++) list.push({ userId: `user-${u}`, agentId: `agent-${u % 3}` });
  for (let u = 0; u < 10; u++) list.push({ userId: `user-${u}`, runId: `run-${u % 4}` });
  for (let a = 0; a < 5; a++) list.push({ agentId: `agent-${a}` });
  for (let a = 0; a < 5; a++) list.push({ agentId: `agent-${a}`, runId: `run-${a}` });
  for (let r = 0; r < 5; r++) list.push({ runId: `run-${r}` });
  return list;
}

type Expected = { scope: Scope; text: string };
const contains = (outer: Scope, inner: Scope) =>
  (outer.userId === undefined || outer.userId === inner.userId) &&
  (outer.agentId === undefined || outer.agentId === inner.agentId) &&
  (outer.runId === undefined || outer.runId === inner.runId);
const same = (a: Scope, b: Scope) => a.userId === b.userId && a.agentId === b.agentId && a.runId === b.runId;

/** Every record outside `scope` (memories with all versions and history, messages), as the store exports them: any engine. */
async function recordsOutside(memory: Memory, scope: Scope): Promise<string> {
  const outside = [];
  for await (const record of memory.export()) {
    if (record.type === 'engram' || record.type === 'policy') continue;
    if (!contains(scope, { userId: record.userId, agentId: record.agentId, runId: record.runId })) outside.push(record);
  }
  return JSON.stringify(outside);
}

describe(`scope isolation as a property (seed ${SEED})`, () => {
  it(`${OPERATIONS} random operations across 50 scopes: reads see exactly their scope; deleteAll and forget touch nothing else`, { timeout: 120_000 }, async () => {
    const random = seededRandom(SEED);
    // With the entity graph on: names in the texts become entities of exactly their scope.
    const memory = await openTestMemory({ embedder: new HashingEmbedder(16), graph: true });
    const all = scopes();
    const expected = new Map<string, Expected>();
    const words = ['tea', 'coffee', 'knee', 'Berlin', 'violin', 'metformin', 'cat', 'Tuesday', 'Anna', 'Acme'];
    const say = (message: string) => `seed ${SEED}: ${message}`;

    const checkRead = async (scope: Scope, step: number) => {
      const want = [...expected.entries()].filter(([, e]) => contains(scope, e.scope)).map(([id]) => id).sort();
      const got = (await memory.getAll({ ...scope, limit: 1000 })).results;
      expect(got.map((r) => r.id).sort(), say(`step ${step}: getAll ${JSON.stringify(scope)}`)).toEqual(want);
      const found = (await memory.search(pick(random, words), { ...scope, limit: 50, mode: pick(random, ['hybrid', 'vector', 'keyword'] as const) })).results;
      for (const r of found) expect(want, say(`step ${step}: search ${JSON.stringify(scope)} returned ${r.id}`)).toContain(r.id);
      for (const entity of (await memory.graph.entities({ ...scope, limit: 10_000 })).results) {
        expect(contains(scope, entity), say(`step ${step}: graph.entities ${JSON.stringify(scope)} returned ${entity.name} of another scope`)).toBe(true);
      }
    };

    for (let step = 0; step < OPERATIONS; step++) {
      const scope = pick(random, all);
      const roll = random();
      if (roll < 0.45) {
        const text = `${pick(random, words)} ${pick(random, words)} ${Math.floor(random() * 30)}`;
        const { results } = await memory.add(text, { ...scope, infer: false });
        const event = results[0]!;
        if (event.event === 'ADD') expected.set(event.id, { scope, text });
        else expect(expected.get(event.id)?.scope && same(expected.get(event.id)!.scope, scope), say(`step ${step}: NONE across scopes`)).toBe(true);
      } else if (roll < 0.6) {
        const mine = [...expected.entries()].filter(([, e]) => same(e.scope, scope));
        if (mine.length === 0) continue;
        const [id] = pick(random, mine);
        const text = `revised ${pick(random, words)} ${step}`;
        await memory.update(id, text).then(
          () => expected.set(id, { scope, text }),
          (e: { code?: string }) => expect(e.code, say(`step ${step}: update`)).toBe('INVALID_INPUT'), // would duplicate another memory
        );
      } else if (roll < 0.7) {
        const mine = [...expected.keys()].filter((id) => same(expected.get(id)!.scope, scope));
        if (mine.length === 0) continue;
        const id = pick(random, mine);
        await memory.delete(id);
        expected.delete(id);
      } else if (roll < 0.73) {
        const before = await recordsOutside(memory, scope);
        const { deleted } = await memory.deleteAll(scope);
        const gone = [...expected.keys()].filter((id) => contains(scope, expected.get(id)!.scope));
        expect(deleted, say(`step ${step}: deleteAll count`)).toBe(gone.length);
        for (const id of gone) expected.delete(id);
        expect(await recordsOutside(memory, scope), say(`step ${step}: deleteAll ${JSON.stringify(scope)} touched another scope`)).toBe(before);
      } else if (roll < 0.75) {
        const before = await recordsOutside(memory, scope);
        await memory.forget(scope);
        for (const id of [...expected.keys()]) if (contains(scope, expected.get(id)!.scope)) expected.delete(id);
        expect(await recordsOutside(memory, scope), say(`step ${step}: forget ${JSON.stringify(scope)} touched another scope`)).toBe(before);
      } else {
        await checkRead(scope, step);
      }
      if (step % 250 === 249) expect(await memory.verify(), say(`step ${step}: verify`)).toEqual({ ok: true, problems: [] });
    }
    for (const scope of all) await checkRead(scope, OPERATIONS);
    expect(expected.size).toBeGreaterThan(50);
    // The graph was exercised: names became entities in many scopes.
    const withEntities = (await Promise.all(all.map(async (scope) => (await memory.graph.entities(scope)).results.length > 0))).filter(Boolean).length;
    expect(withEntities).toBeGreaterThan(10);
  });
});
