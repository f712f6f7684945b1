import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter, type MetadataFilter } from '../src/filter.js';
import { RECORD_TYPES } from '../src/storage/record-types.js';
import type { ExportRecord } from '../src/export-format.js';
import type { Scope } from '../src/schema.js';
import type { NewJob } from '../src/storage/job-records.js';
import type { NewMemory, Storage } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { collect } from './support/collect.js';
import { seedGraph } from './support/graph-seed.js';
import { ENGINES, POSTGRES, SQLITE, type OpenedEngine } from './support/storage-engines.js';

/**
 * The storage contract: what every engine behind the port must do, the same
 * way. Each case runs against every engine (SQLite, PostgreSQL on PGlite).
 */
const DIMENSION = 8;
const MODEL = 'contract-model';

/** A unit vector pointing mostly along axis `axis`, tilted towards axis `toward` by `tilt`. */
function vector(axis: number, toward = (axis + 1) % DIMENSION, tilt = 0): Float32Array {
  const v = new Float32Array(DIMENSION);
  v[axis] = 1;
  v[toward] = (v[toward] ?? 0) + tilt;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

let counter = 0;
function memory(text: string, scope: Scope, extra: Partial<NewMemory> = {}): NewMemory {
  counter += 1;
  return {
    id: `0190a000-0000-7000-8000-${String(counter).padStart(12, '0')}`,
    text,
    hash: textHash(text),
    kind: 'semantic',
    scope,
    metadata: {},
    validFrom: 1_000,
    source: null,
    embedding: vector(counter % DIMENSION),
    ...extra,
  };
}

const ALICE = { userId: 'alice' };
const BOB = { userId: 'bob' };

/** Past 2^31 ms, so a BIGINT that came back as a string or a truncated int would show. */
const T = 1_767_225_600_000;

function job(id: string, scope: Scope, extra: Partial<NewJob> = {}): NewJob {
  return { id, scope, kind: 'extract', messageIds: [], metadata: {}, createdAt: T, ...extra };
}

describe.each(ENGINES)('storage contract: $name', (engine) => {
  let storage: Storage;
  let opened: OpenedEngine;
  const others: Storage[] = [];

  beforeEach(async () => {
    opened = await engine.open();
    storage = opened.storage;
    await storage.bindEmbeddingModel(MODEL, DIMENSION);
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await storage.close();
  });

  const write = <T>(work: Parameters<Storage['transaction']>[2] extends (tx: infer X) => Promise<unknown> ? (tx: X) => Promise<T> : never) =>
    storage.transaction('write', 'testing', work);
  const read = <T>(work: Parameters<Storage['transaction']>[2] extends (tx: infer X) => Promise<unknown> ? (tx: X) => Promise<T> : never) =>
    storage.transaction('read', 'testing', work);

  it('keeps a memory as a chain of versions: a revision closes one and adds the next; asOf reads the version valid then; history records each change', async () => {
    const first = memory('I live in Lyon', ALICE, { validFrom: 1_000 });
    await write((tx) => tx.insertMemory(first, 1_000, 'api'));
    const revised = await write((tx) => tx.reviseMemory(first.id, { text: 'I live in Paris', hash: textHash('I live in Paris'), metadata: { moved: true }, validFrom: 5_000 }, 5_000, 'llm', 'moved'));
    expect(revised).toMatchObject({ id: first.id, version: 2, memory: 'I live in Paris', metadata: { moved: true }, userId: 'alice', validFrom: new Date(5_000).toISOString() });
    expect(revised?.validTo).toBeUndefined();

    await read(async (tx) => {
      expect((await tx.memory(first.id))?.memory).toBe('I live in Paris');
      expect((await tx.memory(first.id, { at: 3_000 }))?.memory).toBe('I live in Lyon');
      expect((await tx.memory(first.id, { at: 3_000 }))?.validTo).toBe(new Date(5_000).toISOString());
      expect(await tx.memory(first.id, { at: 500 })).toBeUndefined();
      expect(await tx.list(ALICE, { limit: 10, offset: 0, at: 3_000 })).toMatchObject([{ memory: 'I live in Lyon', version: 1 }]);
      const history = await tx.history(first.id);
      expect(history.map((h) => [h.event, h.oldMemory, h.newMemory, h.actor])).toEqual([
        ['ADD', undefined, 'I live in Lyon', 'api'],
        ['UPDATE', 'I live in Lyon', 'I live in Paris', 'llm'],
      ]);
      expect(history[1]?.reason).toBe('moved');
    });

    // A revision dated before the current version began does not make a version end before it starts.
    await write((tx) => tx.reviseMemory(first.id, { text: 'I live in Nice', hash: textHash('I live in Nice'), metadata: {}, validFrom: 2_000 }, 6_000, 'api'));
    expect(await storage.verify()).toEqual([]);

    expect(await write((tx) => tx.closeMemory(first.id, 7_000, 'api'))).toBe(true);
    expect(await write((tx) => tx.closeMemory(first.id, 8_000, 'api'))).toBe(false);
    await read(async (tx) => {
      expect(await tx.memory(first.id)).toBeUndefined();
      expect((await tx.memory(first.id, { at: 6_500 }))?.memory).toBe('I live in Nice');
      expect((await tx.history(first.id)).map((h) => h.event)).toEqual(['ADD', 'UPDATE', 'UPDATE', 'DELETE']);
      expect(await tx.scopeOfMemory(first.id)).toEqual(ALICE);
      expect(await tx.hasMemory(first.id)).toBe(true);
    });
    expect(await write((tx) => tx.reviseMemory(first.id, { text: 'x', hash: textHash('x'), metadata: {}, validFrom: 9_000 }, 9_000, 'api'))).toBeUndefined();
    expect(await storage.verify()).toEqual([]);
  });

  it('rolls back every change of a write that throws', async () => {
    const kept = memory('kept', ALICE);
    await write((tx) => tx.insertMemory(kept, 1_000, 'api'));
    await expect(
      write(async (tx) => {
        await tx.insertMemory(memory('lost', ALICE), 2_000, 'api');
        await tx.closeMemory(kept.id, 2_000, 'api');
        await tx.appendMessages(ALICE, [{ role: 'user', name: null, content: 'lost too', createdAt: 2_000 }], 2_000);
        throw new Error('boom');
      }),
    ).rejects.toThrow();
    await read(async (tx) => {
      expect((await tx.list(ALICE, { limit: 10, offset: 0 })).map((m) => m.memory)).toEqual(['kept']);
      expect(await tx.recentMessages(ALICE, 10)).toEqual([]);
    });
    // The connection is usable afterwards.
    await write((tx) => tx.insertMemory(memory('after', ALICE), 3_000, 'api'));
    expect(await storage.verify()).toEqual([]);
  });

  it('keeps scopes apart: a user covers their agents and runs, never another user; hash, nearest and messages match the exact scope', async () => {
    const userLevel = memory('shared text', ALICE, { embedding: vector(0) });
    const agentLevel = memory('shared text', { userId: 'alice', agentId: 'coach' }, { embedding: vector(0, 1, 0.1) });
    const bobs = memory('shared text', BOB, { embedding: vector(0) });
    await write(async (tx) => {
      for (const m of [userLevel, agentLevel, bobs]) await tx.insertMemory(m, 1_000, 'api');
      await tx.appendMessages(ALICE, [{ role: 'user', name: 'Al', content: 'hello', createdAt: 1_000 }], 1_000);
      await tx.appendMessages({ userId: 'alice', agentId: 'coach' }, [{ role: 'assistant', name: null, content: 'coach says', createdAt: 1_001 }], 1_001);
    });
    await read(async (tx) => {
      expect((await tx.list(ALICE, { limit: 10, offset: 0 })).map((m) => m.id).sort()).toEqual([userLevel.id, agentLevel.id].sort());
      expect((await tx.list({ agentId: 'coach' }, { limit: 10, offset: 0 })).map((m) => m.id)).toEqual([agentLevel.id]);
      expect((await tx.list(BOB, { limit: 10, offset: 0 })).map((m) => m.id)).toEqual([bobs.id]);
      expect((await tx.currentIds(ALICE)).sort()).toEqual([userLevel.id, agentLevel.id].sort());
      expect((await tx.currentMemoryByHash(ALICE, textHash('shared text')))?.id).toBe(userLevel.id);
      expect((await tx.currentMemoryByHash({ userId: 'alice', agentId: 'coach' }, textHash('shared text')))?.id).toBe(agentLevel.id);
      expect(await tx.currentMemoryByHash({ userId: 'carol' }, textHash('shared text'))).toBeUndefined();
      expect((await tx.nearest(vector(0), 5, ALICE, { exactScope: true })).map((h) => h.item.id)).toEqual([userLevel.id]);
      const covering = await tx.nearest(vector(0), 5, ALICE);
      expect(covering.map((h) => h.item.id)).toEqual([userLevel.id, agentLevel.id]);
      expect(covering[0]?.cosine).toBeCloseTo(1, 5);
      expect((await tx.recentMessages(ALICE, 10)).map((m) => [m.content, m.name])).toEqual([['hello', 'Al']]);
    });
  });

  it('lists newest first, paged, and filters metadata with typed comparisons', async () => {
    const docs: [string, Record<string, unknown>][] = [
      ['a', { topic: 'health', priority: 3, tags: ['vitals'], date: '2024-03-01', verified: true }],
      ['b', { topic: 'health', priority: 5, tags: ['medication'], date: '2024-02-10', verified: false }],
      ['c', { topic: 'hobby', priority: 1, note: 'weekend hiking club' }],
      ['d', { priority: '4', tags: [4, 'cafe'], verified: null }],
    ];
    await write(async (tx) => {
      for (const [i, [text, metadata]] of docs.entries()) await tx.insertMemory(memory(text, ALICE, { metadata }), 1_000 + i, 'api');
    });
    const listed = async (filter?: MetadataFilter, page = { limit: 10, offset: 0 }) =>
      read(async (tx) => (await tx.list(ALICE, { ...page, filter: filter && parseFilter(filter) })).map((m) => m.memory));
    expect(await listed()).toEqual(['d', 'c', 'b', 'a']);
    expect(await listed(undefined, { limit: 2, offset: 1 })).toEqual(['c', 'b']);
    const cases: [MetadataFilter, string[]][] = [
      [{ topic: 'health' }, ['b', 'a']],
      [{ priority: 4 }, []],
      [{ priority: '4' }, ['d']],
      [{ verified: true }, ['a']],
      [{ verified: null }, ['d']],
      [{ topic: { ne: 'health' } }, ['d', 'c']],
      [{ topic: { in: ['hobby', 'work'] } }, ['c']],
      [{ topic: { nin: ['hobby'] } }, ['d', 'b', 'a']],
      [{ priority: { gt: 2 } }, ['b', 'a']],
      [{ date: { gte: '2024-02-15' } }, ['a']],
      [{ tags: { contains: 'medication' } }, ['b']],
      [{ tags: { contains: 4 } }, ['d']],
      [{ note: { contains: 'hiking' } }, ['c']],
      [{ note: { icontains: 'WEEKEND Hiking' } }, ['c']],
      [{ tags: { icontains: 'VITALS' } }, ['a']],
      [{ NOT: { topic: 'health' } }, ['d', 'c']],
      [{ OR: [{ topic: 'hobby' }, { priority: { gte: 5 } }] }, ['c', 'b']],
      [{ colour: 'red' }, []],
      [{ "it's": 'x' }, []],
    ];
    for (const [filter, expected] of cases) expect(await listed(filter), JSON.stringify(filter)).toEqual(expected);
    // count is the list's length across all pages, with the same filter.
    const counted = (filter?: MetadataFilter) => read((tx) => tx.count(ALICE, { filter: filter && parseFilter(filter) }));
    expect(await counted()).toBe(4);
    for (const [filter, expected] of cases) expect(await counted(filter), JSON.stringify(filter)).toBe(expected.length);
    expect(await read((tx) => tx.count(BOB, {}))).toBe(0);
  });

  it('lists every user, agent and run holding current memories, with counts and times, most recently changed first, paged', async () => {
    await write(async (tx) => {
      await tx.insertMemory(memory('one', { userId: 'alice' }), T, 'api');
      await tx.insertMemory(memory('two', { userId: 'alice', agentId: 'coach' }), T + 10, 'api');
      await tx.insertMemory(memory('three', { agentId: 'coach', runId: 'r1' }), T + 20, 'api');
      const gone = memory('four', { userId: 'carol' });
      await tx.insertMemory(gone, T + 30, 'api');
      await tx.closeMemory(gone.id, T + 40, 'api');
    });
    const { owners, total } = await read((tx) => tx.scopeOwners({ limit: 10, offset: 0 }));
    expect(total).toBe(3);
    expect(owners).toEqual([
      { type: 'agent', id: 'coach', memories: 2, createdAt: T + 10, updatedAt: T + 20 },
      { type: 'run', id: 'r1', memories: 1, createdAt: T + 20, updatedAt: T + 20 },
      { type: 'user', id: 'alice', memories: 2, createdAt: T, updatedAt: T + 10 },
    ]);
    expect(await read((tx) => tx.scopeOwners({ limit: 1, offset: 1 }))).toEqual({ owners: [owners[1]], total: 3 });
    // A page past the end still knows how many there are.
    expect(await read((tx) => tx.scopeOwners({ limit: 5, offset: 10 }))).toEqual({ owners: [], total: 3 });
  });

  it('proposes search candidates with engine-independent signals, inside the scope, the filter and the time asked', async () => {
    const near = memory('my cardiologist is doctor Smith', ALICE, { embedding: vector(2), metadata: { topic: 'health' } });
    const far = memory('I collect old stamps', ALICE, { embedding: vector(5), metadata: { topic: 'hobby' } });
    const tilted = memory('doctor appointments on Fridays', ALICE, { embedding: vector(2, 5, 0.8), metadata: { topic: 'health' } });
    const bobs = memory('doctor Smith is my cardiologist too', BOB, { embedding: vector(2) });
    await write(async (tx) => {
      for (const m of [near, far, tilted, bobs]) await tx.insertMemory(m, 1_000, 'api');
    });
    const found = await storage.searchCandidates({ scope: ALICE, k: 10, vector: vector(2), keyword: 'cardiologist doctor' });
    expect(found.vector.map((h) => h.id)).toEqual([near.id, tilted.id, far.id]);
    expect(found.vector[0]?.cosine).toBeCloseTo(1, 5);
    for (const hit of found.vector) expect(hit.cosine).toBeGreaterThanOrEqual(0);
    expect(found.keyword[0]?.id).toBe(near.id); // both words
    expect(found.keyword.map((h) => h.id).sort()).toEqual([near.id, tilted.id].sort());
    for (const hit of found.keyword) expect(hit.keyword > 0 && hit.keyword < 1).toBe(true);
    expect(found.keyword[0]!.keyword).toBeGreaterThan(found.keyword[1]!.keyword);
    expect(found.byId.get(tilted.id)?.cosine).toBeCloseTo(Math.cos(Math.atan(0.8)), 4);
    expect(found.byId.get(near.id)?.item).toMatchObject({ memory: near.text, userId: 'alice' });
    expect([...found.byId.keys()]).not.toContain(bobs.id);

    const filtered = await storage.searchCandidates({ scope: ALICE, k: 10, vector: vector(2), keyword: 'doctor stamps', filter: parseFilter({ topic: 'hobby' }) });
    expect(filtered.vector.map((h) => h.id)).toEqual([far.id]);
    expect(filtered.keyword.map((h) => h.id)).toEqual([far.id]);

    // Hostile text is words, never query syntax.
    const hostile = await storage.searchCandidates({ scope: ALICE, k: 10, keyword: `doctor" OR 1=1; --) & | ! <-> :* NEAR(` });
    expect(hostile.keyword.map((h) => h.id).sort()).toEqual([near.id, tilted.id].sort());
    expect((await storage.searchCandidates({ scope: ALICE, k: 10, keyword: '!!! ---' })).keyword).toEqual([]);

    await write((tx) => tx.reviseMemory(near.id, { text: 'my cardiologist is doctor Jones', hash: textHash('my cardiologist is doctor Jones'), metadata: {}, validFrom: 5_000 }, 5_000, 'api'));
    const now = await storage.searchCandidates({ scope: ALICE, k: 10, keyword: 'Smith' });
    expect(now.keyword).toEqual([]);
    const then = await storage.searchCandidates({ scope: ALICE, k: 10, keyword: 'Smith', vector: vector(2), at: 2_000 });
    expect(then.keyword.map((h) => h.id)).toEqual([near.id]);
    expect(then.byId.get(near.id)?.item.memory).toBe(near.text);
    const exact = await storage.searchCandidates({ scope: ALICE, k: 2, vector: vector(2), exact: true });
    expect(exact.vector.map((h) => h.id)).toEqual([near.id, tilted.id]);
  });

  it('forgets a scope for good (every record type) and nothing else; clear empties the store but keeps its model', async () => {
    const alices = memory('alice fact', ALICE);
    const bobs = memory('bob fact', BOB);
    await write(async (tx) => {
      await tx.insertMemory(alices, 1_000, 'api');
      await tx.insertMemory(bobs, 1_000, 'api');
      await tx.reviseMemory(alices.id, { text: 'alice fact 2', hash: textHash('alice fact 2'), metadata: {}, validFrom: 2_000 }, 2_000, 'api');
      await tx.appendMessages(ALICE, [{ role: 'user', name: null, content: 'alice said', createdAt: 1_000 }], 1_000);
      await tx.appendMessages(BOB, [{ role: 'user', name: null, content: 'bob said', createdAt: 1_000 }], 1_000);
    });
    expect(await write((tx) => tx.purge(ALICE))).toEqual({ memories: 1, messages: 1, jobs: 0, entities: 0, relations: 0 });
    await read(async (tx) => {
      expect(await tx.hasMemory(alices.id)).toBe(false);
      expect(await tx.history(alices.id)).toEqual([]);
      expect(await tx.memory(alices.id, { at: 1_500 })).toBeUndefined();
      expect(await tx.recentMessages(ALICE, 10)).toEqual([]);
      expect((await tx.memory(bobs.id))?.memory).toBe('bob fact');
      expect(await tx.recentMessages(BOB, 10)).toHaveLength(1);
    });
    const records = await collect(storage.exportRecords());
    expect(JSON.stringify(records)).not.toContain('alice');
    expect(await storage.verify()).toEqual([]);

    await write((tx) => tx.clear());
    expect((await collect(storage.exportRecords())).map((r) => r.type)).toEqual(['engram']);
    expect(await storage.embeddingModel()).toEqual({ id: MODEL, dimension: DIMENSION });
  });

  it('keeps the store’s policy as written, visible to every connection, across clear; a failed write leaves it as it was', async () => {
    expect(await read((tx) => tx.policy())).toBeUndefined();
    await write((tx) => tx.setPolicy('{"deny":["card-number"]}'));
    expect(await read((tx) => tx.policy())).toBe('{"deny":["card-number"]}');
    await expect(
      write(async (tx) => {
        await tx.setPolicy('{"deny":[]}');
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await write((tx) => tx.clear());
    const other = await opened.connect();
    others.push(other);
    expect(await other.transaction('read', 'testing', (tx) => tx.policy())).toBe('{"deny":["card-number"]}');
    await write((tx) => tx.setPolicy(undefined));
    expect(await other.transaction('read', 'testing', (tx) => tx.policy())).toBeUndefined();
  });

  /** A policy for Alice, her coach agent, one of her runs, and Bob. */
  const seedPolicies = () =>
    write(async (tx) => {
      for (const scope of [ALICE, { userId: 'alice', agentId: 'coach' }, { userId: 'alice', runId: 'r1' }, BOB]) await tx.setPolicy(`{"instructions":"for ${JSON.stringify(scope).replaceAll('"', '')}"}`, scope);
    });

  it('keeps a policy per exact scope beside the store’s own; forgetting a scope erases its policies and those under it; clear erases every scope’s', async () => {
    const COACH = { userId: 'alice', agentId: 'coach' };
    await write((tx) => tx.setPolicy('{"deny":["email"]}'));
    await seedPolicies();
    await read(async (tx) => {
      expect(await tx.policy()).toBe('{"deny":["email"]}');
      expect(await tx.policy({})).toBe('{"deny":["email"]}');
      expect(await tx.policy(ALICE)).toBe('{"instructions":"for {userId:alice}"}');
      expect(await tx.policy(COACH)).toBe('{"instructions":"for {userId:alice,agentId:coach}"}');
      // Exactly that scope: the agent alone, or another run, has none.
      expect(await tx.policy({ agentId: 'coach' })).toBeUndefined();
      expect(await tx.policy({ userId: 'alice', runId: 'r2' })).toBeUndefined();
      expect((await tx.scopePolicies(ALICE)).map((p) => p.scope)).toEqual([ALICE, COACH, { userId: 'alice', runId: 'r1' }]);
      expect((await tx.scopePolicies()).map((p) => p.scope)).toEqual([ALICE, COACH, { userId: 'alice', runId: 'r1' }, BOB]);
    });
    await write((tx) => tx.setPolicy('{"instructions":"changed"}', COACH));
    await write((tx) => tx.setPolicy(undefined, { userId: 'alice', runId: 'r1' }));
    expect(await read((tx) => tx.scopePolicies(ALICE))).toEqual([
      { scope: ALICE, json: '{"instructions":"for {userId:alice}"}' },
      { scope: COACH, json: '{"instructions":"changed"}' },
    ]);
    await write((tx) => tx.purge(ALICE));
    expect((await read((tx) => tx.scopePolicies())).map((p) => p.scope)).toEqual([BOB]);
    expect(await read((tx) => tx.policy())).toBe('{"deny":["email"]}');
    await write((tx) => tx.clear());
    expect(await read((tx) => tx.scopePolicies())).toEqual([]);
    expect(await read((tx) => tx.policy())).toBe('{"deny":["email"]}');
  });

  it('keeps every table in a record type, and forget and clear leave no row behind in any of them', async () => {
    const registered = Object.values(opened.recordTables.records).flat();
    expect(Object.keys(opened.recordTables.records).sort()).toEqual(Object.keys(RECORD_TYPES).sort());
    await seedForExport(storage);
    await seedJobs(storage);
    await seedGraph(storage);
    await seedPolicies();
    await write(async (tx) => {
      await tx.insertMemory(memory('kept for bob', BOB), 1_000, 'api');
      await tx.appendMessages(BOB, [{ role: 'user', name: null, content: 'bob said', createdAt: 1_000 }], 1_000);
    });
    const before = await opened.tables();
    for (const table of before.keys()) expect([...registered, ...opened.recordTables.bookkeeping], `table ${table} belongs to no record type`).toContain(table);
    for (const t of Object.values(opened.recordTables.records).flat()) expect(before.has(t), t).toBe(true);
    for (const type of ['job', 'entity', 'relation', 'mention', 'policy'] as const) for (const t of opened.recordTables.records[type]) expect(before.get(t), `${t} seeded`).toBeGreaterThan(0);

    // Everything but Bob's is Alice's (user, agent and run levels): forgetting Alice leaves exactly what Bob's records hold.
    await write((tx) => tx.purge(ALICE));
    await write((tx) => tx.purge(BOB));
    const forgotten = await opened.tables();
    for (const table of registered) expect(forgotten.get(table), `${table} after forgetting every scope`).toBe(0);

    await seedForExport(storage);
    await seedJobs(storage);
    await seedGraph(storage);
    await seedPolicies();
    await write((tx) => tx.clear());
    const cleared = await opened.tables();
    for (const table of registered) expect(cleared.get(table), `${table} after clear`).toBe(0);
  });

  it('exports every record and imports them into an empty store as they were; a second import adds nothing', async () => {
    const records = await seedForExport(storage);
    const target = await engine.open();
    others.push(target.storage);
    await target.storage.bindEmbeddingModel(MODEL, DIMENSION);
    await importInto(target.storage, records);
    expect(withoutHeader(await collect(target.storage.exportRecords()))).toEqual(withoutHeader(records));
    const again = await importInto(target.storage, records);
    expect(again).toEqual({ messages: 0, memories: 0 });
    expect(await target.storage.verify()).toEqual([]);
  });

  it('exports a store larger than any page: every message and memory once, in the order they were stored', async () => {
    const count = 1_100;
    await write(async (tx) => {
      await tx.appendMessages(ALICE, Array.from({ length: count }, (_, i) => ({ role: 'user' as const, name: null, content: `message ${i}`, createdAt: 1_000 + i })), 2_000);
      for (let i = 0; i < count; i++) await tx.insertMemory(memory(`fact number ${i}`, i % 2 ? ALICE : BOB), 1_000 + i, 'api');
    });
    const records = await collect(storage.exportRecords());
    const messages = records.filter((r) => r.type === 'message').map((r) => (r as { content: string }).content);
    const memories = records.filter((r) => r.type === 'memory').map((r) => (r as { versions: { memory: string }[] }).versions[0]?.memory);
    expect(messages).toEqual(Array.from({ length: count }, (_, i) => `message ${i}`));
    expect(memories).toEqual(Array.from({ length: count }, (_, i) => `fact number ${i}`));
  });

  it('gives a connection still bound to the old model EMBEDDING_MISMATCH once another switched the store', async () => {
    const other = await opened.connect();
    others.push(other);
    await other.bindEmbeddingModel(MODEL, DIMENSION);
    await write((tx) => tx.insertMemory(memory('before the switch', ALICE), 1_000, 'api'));
    await opened.switchModel('another-model', DIMENSION);
    await expect(write((tx) => tx.insertMemory(memory('x', ALICE), 1_000, 'api'))).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await expect(storage.searchCandidates({ scope: ALICE, k: 5, vector: vector(1) })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await expect(other.transaction('write', 'adding', (tx) => tx.insertMemory(memory('y', ALICE), 1_000, 'api'))).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    // Keyword search and reads need no vectors: they still work.
    expect((await storage.searchCandidates({ scope: ALICE, k: 5, keyword: 'switch' })).keyword).toHaveLength(1);
  });

  it('stores one current memory per text and exact scope when two connections race to add it', async () => {
    const other = await opened.connect();
    others.push(other);
    await other.bindEmbeddingModel(MODEL, DIMENSION);
    const addOnce = (s: Storage, text: string) =>
      s.transaction('write', 'adding', async (tx) => {
        if (await tx.currentMemoryByHash(ALICE, textHash(text))) return 'NONE';
        await tx.insertMemory(memory(text, ALICE), 1_000, 'api');
        return 'ADD';
      });
    const texts = Array.from({ length: 10 }, (_, i) => `fact ${i % 4}`);
    const events = await Promise.all(texts.flatMap((t) => [addOnce(storage, t), addOnce(other, t)]));
    expect(events.filter((e) => e === 'ADD')).toHaveLength(4);
    await read(async (tx) => expect((await tx.list(ALICE, { limit: 50, offset: 0 })).map((m) => m.memory).sort()).toEqual(['fact 0', 'fact 1', 'fact 2', 'fact 3']));
    expect(await storage.verify()).toEqual([]);
  });
});

async function seedJobs(storage: Storage): Promise<void> {
  await storage.transaction('write', 'seeding jobs', async (tx) => {
    const run = { userId: 'alice', agentId: 'pet-bot', runId: 'r1' };
    const messageIds = await tx.appendMessages(run, [{ role: 'user', name: null, content: 'queued', createdAt: 1_000 }], 1_000);
    await tx.insertJob(job('seeded-run', run, { messageIds }));
    await tx.insertJob(job('seeded-alice', ALICE));
    await tx.insertJob(job('seeded-bob', BOB));
  });
}

async function seedForExport(storage: Storage): Promise<ExportRecord[]> {
  const a = memory('likes tea', ALICE, { metadata: { topic: 'food', n: 1.5, nested: { deep: [1, null, 'x'] } }, source: { messageIds: [] } });
  const b = memory('has a dog named Rex', { userId: 'alice', agentId: 'pet-bot', runId: 'r1' }, { kind: 'episodic' });
  const c = memory('café ünïcode 🧠 "quoted"', BOB);
  await storage.transaction('write', 'seeding', async (tx) => {
    const [said] = await tx.appendMessages(ALICE, [
      { role: 'user', name: 'Al', content: 'ok', createdAt: 900 },
      { role: 'assistant', name: null, content: 'ok', createdAt: 900 },
    ], 950);
    await tx.insertMemory({ ...a, source: { messageIds: [said] } }, 1_000, 'llm');
    await tx.insertMemory(b, 1_000, 'api');
    await tx.insertMemory(c, 1_000, 'api');
    await tx.reviseMemory(a.id, { text: 'likes green tea', hash: textHash('likes green tea'), metadata: { topic: 'food' }, validFrom: 2_000 }, 2_000, 'user', 'said so');
    await tx.closeMemory(b.id, 3_000, 'api');
  });
  return collect(storage.exportRecords());
}

async function importInto(storage: Storage, records: ExportRecord[]): Promise<{ messages: number; memories: number }> {
  const added = { messages: 0, memories: 0 };
  const ids = new Map<number, number>();
  const seen = new Map<string, number>();
  await storage.transaction('write', 'importing', async (tx) => {
    for (const record of records) {
      if (record.type === 'message') {
        const key = JSON.stringify({ ...record, id: 0, addedAt: 0 });
        const occurrence = seen.get(key) ?? 0;
        seen.set(key, occurrence + 1);
        const { id, added: isNew } = await tx.importMessage(record, occurrence);
        ids.set(record.id, id);
        if (isNew) added.messages += 1;
      } else if (record.type === 'memory') {
        const vectors = record.versions.map((_, i) => vector(i % DIMENSION));
        if (await tx.importMemory(record, record.versions.map((v) => textHash(v.memory)), vectors)) added.memories += 1;
      }
    }
  });
  return added;
}

function withoutHeader(records: ExportRecord[]): ExportRecord[] {
  return records.filter((r) => r.type !== 'engram');
}

describe('moving between engines', () => {
  it('a SQLite store exported and imported into PostgreSQL exports the same records, and back', async () => {
    const { storage: sqlite } = await SQLITE.open();
    const { storage: postgres } = await POSTGRES.open();
    const { storage: again } = await SQLITE.open();
    for (const s of [sqlite, postgres, again]) await s.bindEmbeddingModel(MODEL, DIMENSION);
    const records = await seedForExport(sqlite);
    await importInto(postgres, records);
    const fromPostgres = await collect(postgres.exportRecords());
    expect(withoutHeader(fromPostgres)).toEqual(withoutHeader(records));
    await importInto(again, fromPostgres);
    expect(withoutHeader(await collect(again.exportRecords()))).toEqual(withoutHeader(records));
    for (const s of [sqlite, postgres, again]) {
      expect(await s.verify()).toEqual([]);
      await s.close();
    }
  });
});
