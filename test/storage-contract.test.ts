import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter, type MetadataFilter } from '../src/filter.js';
import { RECORD_TYPES } from '../src/storage/record-types.js';
import type { ExportRecord } from '../src/export-format.js';
import type { Scope } from '../src/schema.js';
import type { JobChange, JobRecord, NewJob } from '../src/storage/job-records.js';
import type { NewMemory, Storage } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { collect } from './support/collect.js';
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

/** What insertJob stores besides the job itself. */
function queued(newJob: NewJob): JobRecord {
  return { ...newJob, status: 'queued', attempts: 0, notBefore: 0, leaseOwner: null, leaseExpiresAt: null, error: null, result: null, updatedAt: newJob.createdAt, finishedAt: null };
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
      [{ NOT: { topic: 'health' } }, ['d', 'c']],
      [{ OR: [{ topic: 'hobby' }, { priority: { gte: 5 } }] }, ['c', 'b']],
      [{ colour: 'red' }, []],
      [{ "it's": 'x' }, []],
    ];
    for (const [filter, expected] of cases) expect(await listed(filter), JSON.stringify(filter)).toEqual(expected);
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
    expect(await write((tx) => tx.purge(ALICE))).toEqual({ memories: 1, messages: 1, jobs: 0 });
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

  it('keeps every table in a record type, and forget and clear leave no row behind in any of them', async () => {
    const registered = Object.values(opened.recordTables.records).flat();
    expect(Object.keys(opened.recordTables.records).sort()).toEqual(Object.keys(RECORD_TYPES).sort());
    await seedForExport(storage);
    await seedJobs(storage);
    await write(async (tx) => {
      await tx.insertMemory(memory('kept for bob', BOB), 1_000, 'api');
      await tx.appendMessages(BOB, [{ role: 'user', name: null, content: 'bob said', createdAt: 1_000 }], 1_000);
    });
    const before = await opened.tables();
    for (const table of before.keys()) expect([...registered, ...opened.recordTables.bookkeeping], `table ${table} belongs to no record type`).toContain(table);
    for (const table of ['memory', 'history', 'message', 'job'] as const) for (const t of opened.recordTables.records[table]) expect(before.has(t), t).toBe(true);
    for (const t of opened.recordTables.records.job) expect(before.get(t), `${t} seeded`).toBeGreaterThan(0);

    // Everything but Bob's is Alice's (user, agent and run levels): forgetting Alice leaves exactly what Bob's records hold.
    await write((tx) => tx.purge(ALICE));
    await write((tx) => tx.purge(BOB));
    const forgotten = await opened.tables();
    for (const table of registered) expect(forgotten.get(table), `${table} after forgetting every scope`).toBe(0);

    await seedForExport(storage);
    await seedJobs(storage);
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

  describe('jobs repository', () => {
    const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id);
    const A = { userId: 'a' };
    const AX = { userId: 'a', agentId: 'x' };
    const B = { userId: 'b' };
    const C = { userId: 'c' };
    const running = { status: 'running', attempts: 1, leaseOwner: 'worker-1', leaseExpiresAt: T + 60_000, updatedAt: T + 1 } as const;
    const finished = (status: 'done' | 'failed' | 'cancelled') => ({
      status,
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: T + 2,
      updatedAt: T + 2,
      ...(status === 'done' ? { result: { results: [], droppedOperations: 0 } } : {}),
      ...(status === 'failed' ? { error: { code: 'LLM_FAILED', message: 'no answer' } } : {}),
    });

    /** Inserts jobs in this order (seq order), with createdAt falling and ids out of alphabetical order, so only seq explains an order. */
    async function insertInOrder(list: [string, Scope][]): Promise<void> {
      await write(async (tx) => {
        for (const [i, [id, scope]] of list.entries()) await tx.insertJob(job(id, scope, { createdAt: T - i }));
      });
    }

    it('stores a job queued and reads it back whole (scope, kind, message ids, metadata, BIGINT times as numbers); an id is stored once', async () => {
      const scope = { userId: 'alice', agentId: 'coach', runId: 'r1' };
      const messageIds = await write((tx) =>
        tx.appendMessages(scope, [
          { role: 'user', name: 'Al', content: 'I moved to Porto', createdAt: T },
          { role: 'assistant', name: null, content: 'noted', createdAt: T },
        ], T),
      );
      const stored = job('round-trip', scope, {
        kind: 'procedure',
        messageIds,
        metadata: { topic: 'moving', n: 1.5, nested: { list: [1, null, 'x'] }, "it's": 'café 🧠' },
        createdAt: T + 123,
      });
      await write((tx) => tx.insertJob(stored));
      const [found, missing] = await read(async (tx) => [await tx.job(stored.id), await tx.job('no-such-job')]);
      expect(found).toEqual(queued(stored));
      expect(missing).toBeUndefined();
      const agentOnly = job('agent-only', { agentId: 'coach' });
      await write((tx) => tx.insertJob(agentOnly));
      expect(await read((tx) => tx.job(agentOnly.id))).toEqual(queued(agentOnly));
      await expect(write((tx) => tx.insertJob(job(stored.id, scope)))).rejects.toThrow();
      expect(await storage.verify()).toEqual([]);
    });

    it('heads: one per exact scope with unfinished jobs, its oldest unfinished one, in seq order; a running head still holds its scope', async () => {
      await insertInOrder([
        ['a1', A],
        ['ax1', AX],
        ['a2', A],
        ['c1', C],
        ['b1', B],
        ['b2', B],
        ['ax2', AX],
        ['c2', C],
      ]);
      await write(async (tx) => {
        await tx.updateJob('a1', running);
        await tx.updateJob('c1', finished('done'));
        await tx.updateJob('c2', finished('cancelled'));
        await tx.updateJob('b1', finished('failed'));
      });
      await read(async (tx) => {
        const heads = await tx.jobHeads(10);
        expect(ids(heads)).toEqual(['a1', 'ax1', 'b2']);
        expect(heads[0]).toMatchObject({ status: 'running', leaseOwner: 'worker-1', leaseExpiresAt: T + 60_000, attempts: 1 });
        expect(ids(await tx.jobHeads(2))).toEqual(['a1', 'ax1']);
        expect(ids(await tx.jobHeads(10, A))).toEqual(['a1']);
        expect(ids(await tx.jobHeads(10, AX))).toEqual(['ax1']);
        expect(ids(await tx.jobHeads(10, B))).toEqual(['b2']);
        expect(ids(await tx.jobHeads(10, C))).toEqual([]);
        expect(ids(await tx.jobHeads(10, { userId: 'a', runId: 'x' }))).toEqual([]);
        expect(ids(await tx.unfinishedJobs(A, 10))).toEqual(['a1', 'a2']);
        expect(ids(await tx.unfinishedJobs(AX, 10))).toEqual(['ax1', 'ax2']);
        expect(ids(await tx.unfinishedJobs(AX, 1))).toEqual(['ax1']);
        expect(ids(await tx.unfinishedJobs(B, 10))).toEqual(['b2']);
        expect(ids(await tx.unfinishedJobs(C, 10))).toEqual([]);
      });

      // The running head finishes: the next of its scope becomes the head, and heads stay in seq order across scopes.
      await write((tx) => tx.updateJob('a1', finished('done')));
      expect(ids(await read((tx) => tx.jobHeads(10)))).toEqual(['ax1', 'a2', 'b2']);
      // A scope's head is its own: {a, x}'s jobs are never the head of {a}.
      await write((tx) => tx.updateJob('a2', finished('cancelled')));
      await read(async (tx) => {
        expect(ids(await tx.jobHeads(10, A))).toEqual([]);
        expect(ids(await tx.unfinishedJobs(A, 10))).toEqual([]);
        expect(ids(await tx.jobHeads(10, AX))).toEqual(['ax1']);
        expect(ids(await tx.jobHeads(10))).toEqual(['ax1', 'b2']);
      });
    });

    it('lists jobs newest first, a scope and everything under it, by status, paged; counts every status', async () => {
      const zeros = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
      expect(await read((tx) => tx.jobCounts())).toEqual(zeros);
      await insertInOrder([
        ['user', { userId: 'alice' }],
        ['agent', { userId: 'alice', agentId: 'coach' }],
        ['bob', BOB],
        ['run', { userId: 'alice', agentId: 'coach', runId: 'r1' }],
        ['agent-only', { agentId: 'coach' }],
        ['user-run', { userId: 'alice', runId: 'r1' }],
      ]);
      await write(async (tx) => {
        await tx.updateJob('agent', finished('done'));
        await tx.updateJob('run', running);
        await tx.updateJob('bob', finished('failed'));
      });
      await read(async (tx) => {
        const page = { limit: 10, offset: 0 };
        expect(ids(await tx.listJobs(page))).toEqual(['user-run', 'agent-only', 'run', 'bob', 'agent', 'user']);
        expect(ids(await tx.listJobs({ ...page, scope: ALICE }))).toEqual(['user-run', 'run', 'agent', 'user']);
        expect(ids(await tx.listJobs({ ...page, scope: { agentId: 'coach' } }))).toEqual(['agent-only', 'run', 'agent']);
        expect(ids(await tx.listJobs({ ...page, scope: { userId: 'alice', runId: 'r1' } }))).toEqual(['user-run', 'run']);
        expect(ids(await tx.listJobs({ ...page, scope: { userId: 'carol' } }))).toEqual([]);
        expect(ids(await tx.listJobs({ ...page, status: ['queued'] }))).toEqual(['user-run', 'agent-only', 'user']);
        expect(ids(await tx.listJobs({ ...page, status: ['done', 'failed'] }))).toEqual(['bob', 'agent']);
        expect(ids(await tx.listJobs({ ...page, scope: ALICE, status: ['queued', 'running'] }))).toEqual(['user-run', 'run', 'user']);
        expect(ids(await tx.listJobs({ ...page, status: [] }))).toEqual([]);
        expect(ids(await tx.listJobs({ limit: 2, offset: 1 }))).toEqual(['agent-only', 'run']);
        expect(ids(await tx.listJobs({ limit: 2, offset: 5 }))).toEqual(['user']);
        expect(ids(await tx.listJobs({ scope: ALICE, limit: 2, offset: 2 }))).toEqual(['agent', 'user']);

        expect(await tx.jobCounts()).toEqual({ queued: 3, running: 1, done: 1, failed: 1, cancelled: 0 });
        expect(await tx.jobCounts(ALICE)).toEqual({ queued: 2, running: 1, done: 1, failed: 0, cancelled: 0 });
        expect(await tx.jobCounts({ agentId: 'coach' })).toEqual({ queued: 1, running: 1, done: 1, failed: 0, cancelled: 0 });
        expect(await tx.jobCounts({ userId: 'carol' })).toEqual(zeros);
      });
    });

    it('updates only the fields a change names; null clears error and result; delete says whether there was a job', async () => {
      const messageIds = await write((tx) => tx.appendMessages(ALICE, [{ role: 'user', name: null, content: 'hi', createdAt: T }], T));
      const original = job('j', ALICE, { messageIds, metadata: { source: 'chat' } });
      await write((tx) => tx.insertJob(original));
      const after = async (change: JobChange) => {
        await write((t) => t.updateJob('j', change));
        return read((t) => t.job('j'));
      };

      let expected: JobRecord = queued(original);
      expected = { ...expected, status: 'running', attempts: 1, leaseOwner: 'w1', leaseExpiresAt: T + 30_000, updatedAt: T + 1 };
      expect(await after({ status: 'running', attempts: 1, leaseOwner: 'w1', leaseExpiresAt: T + 30_000, updatedAt: T + 1 })).toEqual(expected);

      const error = { code: 'LLM_FAILED', message: 'the model said nothing' };
      expected = { ...expected, status: 'queued', leaseOwner: null, leaseExpiresAt: null, notBefore: T + 5_000, error, updatedAt: T + 2 };
      expect(await after({ status: 'queued', leaseOwner: null, leaseExpiresAt: null, notBefore: T + 5_000, error, updatedAt: T + 2 })).toEqual(expected);

      // Only updatedAt: nothing else moves (error, attempts, notBefore stay).
      expected = { ...expected, updatedAt: T + 3 };
      expect(await after({ updatedAt: T + 3 })).toEqual(expected);

      const result = { results: [{ id: 'm1', memory: 'Lives in Porto', event: 'ADD' as const }], droppedOperations: 2 };
      expected = { ...expected, status: 'done', error: null, result, finishedAt: T + 4, updatedAt: T + 4 };
      expect(await after({ status: 'done', error: null, result, finishedAt: T + 4, updatedAt: T + 4 })).toEqual(expected);

      expected = { ...expected, result: null, finishedAt: null, status: 'cancelled', updatedAt: T + 5 };
      expect(await after({ status: 'cancelled', result: null, finishedAt: null, updatedAt: T + 5 })).toEqual(expected);

      expect(await write((t) => t.deleteJob('j'))).toBe(true);
      expect(await read((t) => t.job('j'))).toBeUndefined();
      expect(await write((t) => t.deleteJob('j'))).toBe(false);
    });

    it('forgetting a user removes their jobs at every level under them and no one else\'s, and says how many; clear removes every job', async () => {
      await insertInOrder([
        ['user', ALICE],
        ['agent', { userId: 'alice', agentId: 'coach' }],
        ['run', { userId: 'alice', agentId: 'coach', runId: 'r1' }],
        ['user-run', { userId: 'alice', runId: 'r2' }],
        ['bob', BOB],
        ['agent-only', { agentId: 'coach' }],
      ]);
      await write((tx) => tx.updateJob('agent', finished('done')));
      expect(await write((tx) => tx.purge(ALICE))).toEqual({ memories: 0, messages: 0, jobs: 4 });
      await read(async (tx) => {
        expect(ids(await tx.listJobs({ limit: 10, offset: 0 }))).toEqual(['agent-only', 'bob']);
        expect(await tx.job('run')).toBeUndefined();
        expect(ids(await tx.jobHeads(10))).toEqual(['bob', 'agent-only']);
      });
      expect(await write((tx) => tx.purge(ALICE))).toEqual({ memories: 0, messages: 0, jobs: 0 });
      expect(await write((tx) => tx.purge({ agentId: 'coach' }))).toEqual({ memories: 0, messages: 0, jobs: 1 });

      await insertInOrder([['again', ALICE]]);
      await write((tx) => tx.clear());
      await read(async (tx) => {
        expect(await tx.listJobs({ limit: 10, offset: 0 })).toEqual([]);
        expect(await tx.jobCounts()).toEqual({ queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 });
      });
    });

    it('reads logged messages by id in id order, skipping missing ones; deletes messages; recentMessages pages back before an id', async () => {
      // m3 is Bob's, between Alice's: ids are global, scopes are not.
      const [m1, m2, m3, m4, m5] = (await write(async (tx) => [
        ...(await tx.appendMessages(ALICE, [
          { role: 'user', name: 'Al', content: 'one', createdAt: T },
          { role: 'assistant', name: null, content: 'two', createdAt: T + 1 },
        ], T + 10)),
        ...(await tx.appendMessages(BOB, [{ role: 'user', name: null, content: 'bob', createdAt: T + 2 }], T + 10)),
        ...(await tx.appendMessages(ALICE, [
          { role: 'user', name: null, content: 'three', createdAt: T + 3 },
          { role: 'system', name: null, content: 'four', createdAt: T + 4 },
        ], T + 10)),
      ])) as [number, number, number, number, number];
      const missing = m5 + 1_000;
      await read(async (tx) => {
        expect(await tx.messagesById([m4, m1, missing, m3, m1])).toEqual([
          { id: m1, role: 'user', name: 'Al', content: 'one', createdAt: T },
          { id: m3, role: 'user', name: null, content: 'bob', createdAt: T + 2 },
          { id: m4, role: 'user', name: null, content: 'three', createdAt: T + 3 },
        ]);
        expect(await tx.messagesById([])).toEqual([]);
        expect(await tx.messagesById([missing])).toEqual([]);
        const contents = async (limit: number, beforeId?: number) => (await tx.recentMessages(ALICE, limit, beforeId)).map((m) => m.content);
        expect(await contents(10)).toEqual(['one', 'two', 'three', 'four']);
        expect(await contents(2)).toEqual(['three', 'four']);
        expect(await contents(2, m5)).toEqual(['two', 'three']);
        expect(await contents(10, m4)).toEqual(['one', 'two']);
        expect(await contents(10, m1)).toEqual([]);
        expect((await tx.recentMessages(ALICE, 1, m4))[0]).toEqual({ id: m2, role: 'assistant', name: null, content: 'two', createdAt: T + 1 });
      });
      await write((tx) => tx.deleteMessages([m2, m4, missing]));
      await write((tx) => tx.deleteMessages([]));
      await read(async (tx) => {
        expect((await tx.messagesById([m1, m2, m3, m4, m5])).map((m) => m.id)).toEqual([m1, m3, m5]);
        expect((await tx.recentMessages(ALICE, 10)).map((m) => m.content)).toEqual(['one', 'four']);
        expect((await tx.recentMessages(BOB, 10)).map((m) => m.content)).toEqual(['bob']);
      });
    });

    it('verify reports a waiting job whose messages are gone or in another scope, and a done job without a result', async () => {
      const [m1, m2] = (await write((tx) =>
        tx.appendMessages(ALICE, [
          { role: 'user', name: null, content: 'one', createdAt: T },
          { role: 'user', name: null, content: 'two', createdAt: T },
        ], T),
      )) as [number, number];
      await write(async (tx) => {
        await tx.insertJob(job('waiting', ALICE, { messageIds: [m1, m2] }));
        await tx.insertJob(job('failed', ALICE, { messageIds: [m2] }));
        await tx.insertJob(job('cancelled', ALICE, { messageIds: [m2] }));
        await tx.insertJob(job('done', ALICE, { messageIds: [m2] }));
        await tx.updateJob('failed', finished('failed'));
        await tx.updateJob('cancelled', finished('cancelled'));
        await tx.updateJob('done', finished('done'));
      });
      expect(await storage.verify()).toEqual([]);

      // Only jobs that may still run need their messages: finished and cancelled ones are not reported.
      await write((tx) => tx.deleteMessages([m2]));
      expect((await storage.verify()).sort()).toEqual(
        [`job failed waits for message ${m2}, which is not logged in its scope`, `job waiting waits for message ${m2}, which is not logged in its scope`].sort(),
      );

      // A message of another scope, even the one above, is not this job's: scopes are exact.
      await write(async (tx) => {
        await tx.deleteJob('waiting');
        await tx.deleteJob('failed');
        await tx.insertJob(job('agent-level', { userId: 'alice', agentId: 'coach' }, { messageIds: [m1] }));
      });
      expect(await storage.verify()).toEqual([`job agent-level waits for message ${m1}, which is not logged in its scope`]);

      await write(async (tx) => {
        await tx.deleteJob('agent-level');
        await tx.updateJob('done', { result: null, updatedAt: T + 9 });
      });
      expect(await storage.verify()).toEqual(['job done is done but holds no result']);
    });
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
