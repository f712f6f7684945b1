import { EXPORT_FORMAT_VERSION } from '../src/export-format.js';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngramError } from '../src/errors.js';
import type { ExportMemory, ExportMessage, ExportRecord } from '../src/export-format.js';
import { parseFilter, type MetadataFilter } from '../src/filter.js';
import type { Scope } from '../src/schema.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../src/engines/postgres/migrations.js';
import { PostgresStorage } from '../src/engines/postgres/postgres-storage.js';
import type { EntityRecord, RelationRecord } from '../src/storage/graph-records.js';
import type { NewMemory, Storage, StorageTransaction } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { servePglite, startPglite } from './support/postgres.js';

/**
 * The PostgreSQL engine through the storage port, on an in-process PGlite
 * (PostgreSQL 18 + pgvector in WebAssembly). One PGlite for the file (startup
 * takes seconds) and a clone of it as the second database; every test starts
 * from clear().
 */
const MODEL = 'test-model';
const DIM = 4;
let db: PGlite;
let other: PGlite;
/** An empty database to clone (stores of earlier schema versions are built on its clones). */
let empty: PGlite;
let storage: PostgresStorage;

beforeAll(async () => {
  db = await startPglite();
  // Cloned before any schema exists: a second, empty database for import and the wire.
  other = (await db.clone()) as PGlite;
  empty = (await db.clone()) as PGlite;
  storage = await PostgresStorage.open({ pglite: db });
  await storage.bindEmbeddingModel(MODEL, DIM);
});

afterAll(async () => {
  await storage?.close();
  await other?.close();
  await empty?.close();
  await db?.close();
});

beforeEach(async () => {
  await storage.transaction('write', 'clearing', (tx) => tx.clear());
});

const vec = (...values: number[]) => new Float32Array(values);
/** A deterministic 4-d vector of a text (what an embedder would give), for import. */
const embed = (text: string) => vec(...[0, 1, 2, 3].map((i) => (text.charCodeAt(i % text.length) % 7) + 1 + i));

let ids = 0;
function newMemory(text: string, scope: Scope, extra: Partial<NewMemory> = {}): NewMemory {
  return { id: `m${++ids}`, text, hash: textHash(text), kind: 'semantic', scope, metadata: {}, validFrom: 1_000, source: null, embedding: embed(text), ...extra };
}
const write = <T>(work: (tx: StorageTransaction) => Promise<T>, on: Storage = storage) => on.transaction('write', 'testing', work);
const read = <T>(work: (tx: StorageTransaction) => Promise<T>, on: Storage = storage) => on.transaction('read', 'testing', work);
const insert = (memory: NewMemory, at = 1_000) => write((tx) => tx.insertMemory(memory, at, 'api'));
const iso = (ms: number) => new Date(ms).toISOString();

describe('versions and history', () => {
  it('inserts, revises and closes a memory, keeping every version and its history', async () => {
    const added = await insert(newMemory('I live in Lisbon', { userId: 'u1' }, { kind: 'episodic', metadata: { city: 'Lisbon' }, source: { messageIds: [1] } }), 1_000);
    expect(added).toEqual({
      id: added.id,
      version: 1,
      memory: 'I live in Lisbon',
      hash: textHash('I live in Lisbon'),
      kind: 'episodic',
      metadata: { city: 'Lisbon' },
      createdAt: iso(1_000),
      updatedAt: iso(1_000),
      validFrom: iso(1_000),
      userId: 'u1',
    });
    const revised = await write((tx) =>
      tx.reviseMemory(added.id, { text: 'I live in Porto', hash: textHash('I live in Porto'), metadata: { city: 'Porto' }, embedding: embed('Porto'), validFrom: 2_000 }, 2_500, 'llm', 'moved'),
    );
    expect(revised).toMatchObject({ id: added.id, version: 2, memory: 'I live in Porto', kind: 'episodic', userId: 'u1', createdAt: iso(1_000), updatedAt: iso(2_500), validFrom: iso(2_000) });
    expect(revised?.validTo).toBeUndefined();

    // A revision dated before the current version began starts when it began (never ends before it began).
    const early = await write((tx) => tx.reviseMemory(added.id, { text: 'I live in Faro', hash: textHash('I live in Faro'), metadata: {}, validFrom: 500 }, 3_000, 'api'));
    expect(early).toMatchObject({ version: 3, validFrom: iso(2_000) });

    expect(await write((tx) => tx.closeMemory(added.id, 4_000, 'user', 'wrong', 1_000))).toBe(true);
    expect(await write((tx) => tx.closeMemory(added.id, 5_000, 'user'))).toBe(false);
    expect(await write((tx) => tx.reviseMemory(added.id, { text: 'x', hash: 'x', metadata: {}, validFrom: 6_000 }, 6_000, 'api'))).toBeUndefined();

    await read(async (tx) => {
      expect(await tx.memory(added.id)).toBeUndefined();
      expect(await tx.memory(added.id, { at: 1_500 })).toMatchObject({ version: 1, memory: 'I live in Lisbon', validTo: iso(2_000) });
      expect(await tx.memory(added.id, { at: 2_000 })).toBeUndefined(); // version 2 lasted no time: version 3 started when it did
      // Closing clamps validTo to the version's start (2000), so version 3 is visible nowhere after it.
      expect(await tx.memory(added.id, { at: 1_999 })).toMatchObject({ version: 1 });
      expect(await tx.memory(added.id, { at: 999 })).toBeUndefined();
      expect(await tx.scopeOfMemory(added.id)).toEqual({ userId: 'u1' });
      expect(await tx.scopeOfMemory('nope')).toBeUndefined();
      expect(await tx.hasMemory(added.id)).toBe(true);
      const history = await tx.history(added.id);
      expect(history.map((h) => [h.event, h.actor, h.oldMemory, h.newMemory, h.reason])).toEqual([
        ['ADD', 'api', undefined, 'I live in Lisbon', undefined],
        ['UPDATE', 'llm', 'I live in Lisbon', 'I live in Porto', 'moved'],
        ['UPDATE', 'api', 'I live in Porto', 'I live in Faro', undefined],
        ['DELETE', 'user', 'I live in Faro', undefined, 'wrong'],
      ]);
      expect(history[1]).toMatchObject({ memoryId: added.id, oldMetadata: { city: 'Lisbon' }, newMetadata: { city: 'Porto' }, createdAt: iso(2_500) });
      expect(history[3]?.oldMetadata).toEqual({});
    });
    expect(await storage.verify()).toEqual([]);
  });

  it('reuses the old vector when a revision brings none', async () => {
    const m = await insert(newMemory('tea', { userId: 'u1' }, { embedding: vec(0, 1, 0, 0) }));
    await write((tx) => tx.reviseMemory(m.id, { text: 'tea', hash: m.hash, metadata: { fresh: true }, validFrom: 2_000 }, 2_000, 'api'));
    const [hit] = await read((tx) => tx.nearest(vec(0, 1, 0, 0), 1, { userId: 'u1' }));
    expect(hit?.item).toMatchObject({ id: m.id, version: 2, metadata: { fresh: true } });
    expect(hit?.cosine).toBeCloseTo(1, 6);
  });

  it('lists newest first, then by insertion order, paged; and as of an instant', async () => {
    const scope = { userId: 'u1' };
    const a = await insert(newMemory('a', scope), 1_000);
    const b = await insert(newMemory('b', scope), 3_000);
    const c = await insert(newMemory('c', scope), 2_000);
    const d = await insert(newMemory('d', scope), 3_000);
    await write((tx) => tx.closeMemory(c.id, 5_000, 'api'));
    const page = (limit: number, offset: number, at?: number) => read((tx) => tx.list(scope, { limit, offset, at }));
    expect((await page(10, 0)).map((m) => m.id)).toEqual([d.id, b.id, a.id]);
    expect((await page(2, 1)).map((m) => m.id)).toEqual([b.id, a.id]);
    expect((await page(10, 0, 4_000)).map((m) => m.id)).toEqual([d.id, b.id, c.id, a.id]);
    expect(await read((tx) => tx.currentIds(scope))).toEqual([a.id, b.id, d.id]);
  });
});

describe('metadata filters', () => {
  const scope = { userId: 'filters' };
  const named: Record<string, string> = {};
  beforeEach(async () => {
    const rows: [string, Record<string, unknown>][] = [
      ['one', { n: 5, s: '5', flag: true, tags: ['a', 'b', 1], note: 'hello world', date: '2024-05-01' }],
      ['two', { n: 10, s: 'abc', flag: 1, tags: ['c'], note: 'bye', date: '2023-01-01', f: 2.5 }],
      ['three', { n: '7', other: null, tags: 'a string with a' }],
      ['four', {}],
    ];
    for (const [name, metadata] of rows) named[(await insert(newMemory(name, scope, { metadata }))).id] = name;
  });
  const matching = async (filter: MetadataFilter) =>
    (await read((tx) => tx.list(scope, { filter: parseFilter(filter), limit: 10, offset: 0 }))).map((m) => named[m.id]).sort();

  it('compares typed: "5" is not 5, and true is not 1', async () => {
    expect(await matching({ n: 5 })).toEqual(['one']);
    expect(await matching({ n: '5' })).toEqual([]);
    expect(await matching({ s: '5' })).toEqual(['one']);
    expect(await matching({ s: 5 })).toEqual([]);
    expect(await matching({ flag: true })).toEqual(['one']);
    expect(await matching({ flag: 1 })).toEqual(['two']);
    expect(await matching({ other: null })).toEqual(['three']);
    expect(await matching({ f: { eq: 2.5 } })).toEqual(['two']);
    expect(await matching({ n: { ne: 5 } })).toEqual(['four', 'three', 'two']);
  });

  it('in and nin, with missing keys outside in and inside nin', async () => {
    expect(await matching({ n: { in: [5, '7'] } })).toEqual(['one', 'three']);
    expect(await matching({ n: { nin: [5, '7'] } })).toEqual(['four', 'two']);
  });

  it('orders numbers with numbers and strings with strings only', async () => {
    expect(await matching({ n: { gt: 6 } })).toEqual(['two']); // "7" is a string
    expect(await matching({ n: { gte: 5, lt: 10 } })).toEqual(['one']);
    expect(await matching({ n: { lte: '8' } })).toEqual(['three']);
    expect(await matching({ date: { gt: '2023-06-01' } })).toEqual(['one']);
    expect(await matching({ s: { lt: 'b' } })).toEqual(['one', 'two']);
  });

  it('contains: a substring of a string, a typed element of an array', async () => {
    expect(await matching({ note: { contains: 'world' } })).toEqual(['one']);
    expect(await matching({ tags: { contains: 'a' } })).toEqual(['one', 'three']);
    expect(await matching({ tags: { contains: 1 } })).toEqual(['one']);
    expect(await matching({ tags: { contains: '1' } })).toEqual([]);
    expect(await matching({ n: { contains: 5 } })).toEqual([]);
  });

  it('NOT of a missing key is true; AND, OR; hostile keys are only data', async () => {
    expect(await matching({ NOT: { n: 5 } })).toEqual(['four', 'three', 'two']);
    expect(await matching({ NOT: { missing: 'x' } })).toEqual(['four', 'one', 'three', 'two']);
    expect(await matching({ OR: [{ n: 5 }, { AND: [{ s: 'abc' }, { flag: 1 }] }] })).toEqual(['one', 'two']);
    expect(await matching({ "x') OR 1=1; DROP TABLE memories; --": { contains: "'; --" } })).toEqual([]);
    expect(await matching({})).toEqual(['four', 'one', 'three', 'two']);
  });
});

describe('scopes', () => {
  it('keeps users apart; a user covers its agents and runs; exact scope where the port says so', async () => {
    const u1 = await insert(newMemory('plain', { userId: 'u1' }, { embedding: vec(1, 0, 0, 0) }));
    const u1a = await insert(newMemory('agent', { userId: 'u1', agentId: 'a1' }, { embedding: vec(1, 0.1, 0, 0) }));
    const u1ar = await insert(newMemory('run', { userId: 'u1', agentId: 'a1', runId: 'r1' }, { embedding: vec(1, 0.2, 0, 0) }));
    const u2 = await insert(newMemory('plain', { userId: 'u2' }, { embedding: vec(1, 0, 0, 0) }));
    const a1 = await insert(newMemory('agent only', { agentId: 'a1' }));
    const list = (scope: Scope) => read(async (tx) => (await tx.list(scope, { limit: 10, offset: 0 })).map((m) => m.id).sort());
    expect(await list({ userId: 'u1' })).toEqual([u1.id, u1a.id, u1ar.id].sort());
    expect(await list({ userId: 'u2' })).toEqual([u2.id]);
    expect(await list({ agentId: 'a1' })).toEqual([u1a.id, u1ar.id, a1.id].sort());
    expect(await list({ userId: 'u1', runId: 'r1' })).toEqual([u1ar.id]);
    expect(await list({ userId: 'u3' })).toEqual([]);

    await read(async (tx) => {
      expect((await tx.currentMemoryByHash({ userId: 'u1' }, textHash('plain')))?.id).toBe(u1.id);
      expect((await tx.currentMemoryByHash({ userId: 'u2' }, textHash('plain')))?.id).toBe(u2.id);
      expect(await tx.currentMemoryByHash({ userId: 'u1' }, textHash('agent'))).toBeUndefined(); // it is u1 + a1's
      expect((await tx.currentMemoryByHash({ userId: 'u1', agentId: 'a1' }, textHash('agent')))?.id).toBe(u1a.id);
      expect((await tx.nearest(vec(1, 0, 0, 0), 10, { userId: 'u1' })).map((h) => h.item.id)).toEqual([u1.id, u1a.id, u1ar.id]);
      expect((await tx.nearest(vec(1, 0, 0, 0), 10, { userId: 'u1' }, { exactScope: true })).map((h) => h.item.id)).toEqual([u1.id]);
      expect((await tx.nearest(vec(1, 0, 0, 0), 10, { userId: 'u1', agentId: 'a1' }, { exactScope: true })).map((h) => h.item.id)).toEqual([u1a.id]);
    });
  });

  it('logs messages per exact scope, returning ids in order and the last ones oldest first', async () => {
    const messages = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ role: 'user' as const, name: i === 0 ? 'ana' : null, content: `${prefix} ${i}`, createdAt: 100 + i }));
    const ids1 = await write((tx) => tx.appendMessages({ userId: 'u1' }, messages(3, 'u1'), 1_000));
    const ids2 = await write((tx) => tx.appendMessages({ userId: 'u1', runId: 'r' }, messages(2, 'run'), 2_000));
    expect(ids1).toEqual([...ids1].sort((a, b) => a - b));
    expect(ids2[0]).toBeGreaterThan(ids1[2] as number);
    await read(async (tx) => {
      expect(await tx.recentMessages({ userId: 'u1' }, 2)).toEqual([
        { id: ids1[1], role: 'user', name: null, content: 'u1 1', createdAt: 101 },
        { id: ids1[2], role: 'user', name: null, content: 'u1 2', createdAt: 102 },
      ]);
      expect((await tx.recentMessages({ userId: 'u1', runId: 'r' }, 10)).map((m) => m.content)).toEqual(['run 0', 'run 1']);
      expect(await tx.recentMessages({ runId: 'r' }, 10)).toEqual([]);
    });
    expect(await write((tx) => tx.appendMessages({ userId: 'u1' }, [], 1))).toEqual([]);
  });
});

describe('writers racing', () => {
  it('two app servers adding the same text at once store one memory; the loser is re-run and sees it', async () => {
    const second = await PostgresStorage.open({ pglite: db });
    await second.bindEmbeddingModel(MODEL, DIM);
    const scope = { userId: 'race' };
    const attempts = new Map<string, number>();
    // Each writer's first attempt looked before the other committed (as on two servers); the insert is what collides.
    const add = (on: Storage, id: string) =>
      write(async (tx) => {
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        const existing = attempt === 1 ? undefined : await tx.currentMemoryByHash(scope, textHash('same text'));
        if (existing) return { event: 'NONE', id: existing.id };
        return { event: 'ADD', id: (await tx.insertMemory({ ...newMemory('same text', scope), id }, 1_000, 'api')).id };
      }, on);
    const results = await Promise.all([add(storage, 'race-1'), add(second, 'race-2')]);
    expect(results.map((r) => r.event).sort()).toEqual(['ADD', 'NONE']);
    expect(results[0]?.id).toBe(results[1]?.id);
    expect(await read((tx) => tx.currentIds(scope))).toEqual([results[0]?.id]);
    expect(Math.max(...attempts.values())).toBe(2);
    expect(await storage.verify()).toEqual([]);
    await second.close();
  });

  it('a writer inserting a duplicate without looking gets DB_ERROR, and nothing of its transaction lands', async () => {
    await insert(newMemory('dup', { userId: 'u1' }));
    const failing = write(async (tx) => {
      await tx.appendMessages({ userId: 'u1' }, [{ role: 'user', name: null, content: 'hi', createdAt: 1 }], 1);
      return tx.insertMemory(newMemory('dup', { userId: 'u1' }), 1_000, 'api');
    });
    await expect(failing).rejects.toMatchObject({ code: 'DB_ERROR', message: expect.stringContaining('already has this text') });
    expect(await read((tx) => tx.recentMessages({ userId: 'u1' }, 10))).toEqual([]);
  });

  it('rolls back a transaction whose work caught a database error, and lets its own errors through', async () => {
    const swallowed = write(async (tx) => {
      await tx.insertMemory(newMemory('kept?', { userId: 'u1' }), 1_000, 'api');
      await tx.list({}, { limit: 1, offset: 0 }).catch(() => undefined); // a scope-less list throws before SQL
      await tx.insertMemory(newMemory('bad vector', { userId: 'u1' }, { embedding: vec(1, 2) }), 1_000, 'api').catch(() => undefined);
      return 'done';
    });
    await expect(swallowed).rejects.toMatchObject({ code: 'DB_ERROR' });
    expect(await read((tx) => tx.currentIds({ userId: 'u1' }))).toEqual([]);
    const own = write(async () => {
      throw new EngramError('NOT_FOUND', 'no such memory');
    });
    await expect(own).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // PGlite has one session: a call back into the storage from inside work would wait for itself forever.
    await expect(write(() => storage.embeddingModel())).rejects.toThrow(/inside a transaction's work/);
  });
});

describe('search candidates', () => {
  const scope = { userId: 'search' };
  const seed = async () => {
    const a = await insert(newMemory('I adore hiking in the Alps', scope, { embedding: vec(1, 0, 0, 0), metadata: { topic: 'outdoors' } }));
    const b = await insert(newMemory('Hiking boots need a repair, hiking again soon', scope, { embedding: vec(1, 1, 0, 0), metadata: { topic: 'gear' } }));
    const c = await insert(newMemory('My cat is named Rosa', scope, { embedding: vec(0, 1, 0, 0) }));
    const d = await insert(newMemory('Opposite of everything', scope, { embedding: vec(-1, 0, 0, 0) }));
    await insert(newMemory('Hiking for another user', { userId: 'someone else' }, { embedding: vec(1, 0, 0, 0) }));
    return { a, b, c, d };
  };

  it('ranks by cosine, approximate or exact alike, and gives every candidate its cosine', async () => {
    const { a, b, c, d } = await seed();
    for (const exact of [false, true]) {
      const found = await storage.searchCandidates({ scope, k: 10, vector: vec(1, 0, 0, 0), exact });
      expect(found.vector.map((h) => h.id)).toEqual([a.id, b.id, c.id, d.id]);
      expect(found.vector.map((h) => h.cosine)).toEqual([1, expect.closeTo(Math.SQRT1_2, 6), expect.closeTo(0, 6), 0]);
      expect(found.keyword).toEqual([]);
      expect(found.byId.get(b.id)?.item.memory).toBe(b.memory);
    }
    expect((await storage.searchCandidates({ scope, k: 2, vector: vec(1, 0, 0, 0) })).vector.map((h) => h.id)).toEqual([a.id, b.id]);
  });

  it('finds by words, with a keyword score in [0, 1), and the cosine of keyword candidates', async () => {
    const { a, b } = await seed();
    const found = await storage.searchCandidates({ scope, k: 10, keyword: 'Hiking?', vector: vec(0, 1, 0, 0) });
    expect(found.keyword.map((h) => h.id)).toEqual([b.id, a.id]); // b says it twice
    for (const hit of found.keyword) expect(hit.keyword).toBeGreaterThan(0), expect(hit.keyword).toBeLessThan(1);
    expect(found.byId.get(a.id)?.cosine).toBeCloseTo(0, 6);
    expect(found.byId.get(b.id)?.cosine).toBeCloseTo(Math.SQRT1_2, 6);
    const plain = await storage.searchCandidates({ scope, k: 10, keyword: 'cats' });
    expect(plain.keyword).toHaveLength(1);
    expect([...plain.byId.values()][0]?.cosine).toBeUndefined();
    // Query syntax in user text is only words.
    for (const hostile of [`"hiking" & !cats | (`, `') OR 1=1; --`, 'the and of', '***', '']) {
      await expect(storage.searchCandidates({ scope, k: 10, keyword: hostile })).resolves.toBeDefined();
    }
  });

  it('applies the filter and reads as of an instant', async () => {
    const { a, b } = await seed();
    const gear = await storage.searchCandidates({ scope, k: 10, vector: vec(1, 0, 0, 0), keyword: 'hiking', filter: parseFilter({ topic: 'gear' }) });
    expect(gear.vector.map((h) => h.id)).toEqual([b.id]);
    expect(gear.keyword.map((h) => h.id)).toEqual([b.id]);
    expect([...gear.byId.keys()]).toEqual([b.id]);

    await write((tx) => tx.reviseMemory(a.id, { text: 'I adore swimming', hash: textHash('I adore swimming'), metadata: {}, embedding: vec(0, 0, 1, 0), validFrom: 5_000 }, 5_000, 'api'));
    const now = await storage.searchCandidates({ scope, k: 1, vector: vec(1, 0, 0, 0), keyword: 'hiking alps' });
    expect(now.vector.map((h) => h.id)).toEqual([b.id]);
    expect(now.keyword.map((h) => h.id)).toEqual([b.id]);
    const before = await storage.searchCandidates({ scope, k: 1, vector: vec(1, 0, 0, 0), keyword: 'hiking alps', at: 4_000 });
    expect(before.vector.map((h) => h.id)).toEqual([a.id]);
    expect(before.keyword.map((h) => h.id)).toEqual([a.id]);
    expect(before.byId.get(a.id)?.item).toMatchObject({ version: 1, memory: 'I adore hiking in the Alps', validTo: iso(5_000) });
  });
});

describe('erasing', () => {
  it('purges a scope and everything under it: memories, their history, messages', async () => {
    const gone = await insert(newMemory('gone', { userId: 'u1', runId: 'r1' }));
    await insert(newMemory('gone too', { userId: 'u1' }));
    const kept = await insert(newMemory('kept', { userId: 'u2' }));
    await write((tx) => tx.reviseMemory(gone.id, { text: 'gone v2', hash: textHash('gone v2'), metadata: {}, validFrom: 2_000 }, 2_000, 'api'));
    await write((tx) => tx.appendMessages({ userId: 'u1', runId: 'r1' }, [{ role: 'user', name: null, content: 'x', createdAt: 1 }], 1));
    await write((tx) => tx.appendMessages({ userId: 'u2' }, [{ role: 'user', name: null, content: 'y', createdAt: 1 }], 1));
    expect(await write((tx) => tx.purge({ userId: 'u1' }))).toEqual({ memories: 2, messages: 1, jobs: 0, entities: 0, relations: 0 });
    await read(async (tx) => {
      expect(await tx.hasMemory(gone.id)).toBe(false);
      expect(await tx.history(gone.id)).toEqual([]);
      expect(await tx.currentIds({ userId: 'u2' })).toEqual([kept.id]);
      expect(await tx.recentMessages({ userId: 'u2' }, 5)).toHaveLength(1);
    });
    expect(await storage.verify()).toEqual([]);
  });

  it('clears every record but keeps the binding', async () => {
    await insert(newMemory('x', { userId: 'u1' }));
    await write((tx) => tx.clear());
    expect(await db.query('SELECT (SELECT count(*) FROM memories) + (SELECT count(*) FROM history) + (SELECT count(*) FROM messages) AS n')).toMatchObject({ rows: [{ n: 0 }] });
    expect(await storage.embeddingModel()).toEqual({ id: MODEL, dimension: DIM });
  });
});

describe('export, import, verify, binding', () => {
  it('exports every record, and imports them into a second database as the same records', async () => {
    const first = await insert(newMemory('I live in Lisbon', { userId: 'u1' }, { metadata: { a: 1 }, source: { role: 'user' } }), 1_000);
    await write((tx) => tx.reviseMemory(first.id, { text: 'I live in Porto', hash: textHash('I live in Porto'), metadata: { a: 2 }, embedding: embed('Porto'), validFrom: 2_000 }, 2_000, 'api'));
    const closed = await insert(newMemory('I drink tea', { agentId: 'a1', runId: 'r1' }, { kind: 'procedural' }), 1_500);
    await write((tx) => tx.closeMemory(closed.id, 3_000, 'llm', 'no longer'));
    await insert(newMemory('Plain', { runId: 'r9' }), 4_000);
    await write((tx) =>
      tx.appendMessages({ userId: 'u1' }, [
        { role: 'user', name: 'ana', content: 'hello', createdAt: 10 },
        { role: 'assistant', name: null, content: 'hello', createdAt: 10 },
        { role: 'user', name: 'ana', content: 'hello', createdAt: 10 },
      ], 20),
    );
    const exported = await collect(storage.exportRecords());
    expect(exported.map((r) => r.type)).toEqual(['engram', 'message', 'message', 'message', 'memory', 'memory', 'memory']);
    expect(exported[0]).toMatchObject({ format: EXPORT_FORMAT_VERSION, embeddingModel: MODEL });
    expect(exported[4]).toEqual({
      type: 'memory',
      id: first.id,
      kind: 'semantic',
      userId: 'u1',
      createdAt: iso(1_000),
      versions: [
        { version: 1, memory: 'I live in Lisbon', metadata: { a: 1 }, validFrom: iso(1_000), validTo: iso(2_000), updatedAt: iso(1_000), source: { role: 'user' } },
        { version: 2, memory: 'I live in Porto', metadata: { a: 2 }, validFrom: iso(2_000), updatedAt: iso(2_000), source: { role: 'user' } },
      ],
      history: [
        { event: 'ADD', actor: 'api', createdAt: iso(1_000), newMemory: 'I live in Lisbon', newMetadata: { a: 1 } },
        { event: 'UPDATE', actor: 'api', createdAt: iso(2_000), oldMemory: 'I live in Lisbon', newMemory: 'I live in Porto', oldMetadata: { a: 1 }, newMetadata: { a: 2 } },
      ],
    });

    // Two processes opening a fresh database at once: the schema lock makes them take turns.
    const [target, twin] = await Promise.all([PostgresStorage.open({ pglite: other }), PostgresStorage.open({ pglite: other })]);
    await twin.close();
    expect((await other.query(`SELECT value FROM engram_meta WHERE key = 'schema_version'`)).rows).toEqual([{ value: String(LATEST_SCHEMA_VERSION) }]);
    try {
      await target.bindEmbeddingModel(MODEL, DIM);
      await write((tx) => tx.clear(), target);
      const importAll = () =>
        write(async (tx) => {
          const seen = new Map<string, number>();
          const added: boolean[] = [];
          for (const record of exported) {
            if (record.type === 'message') {
              const key = JSON.stringify({ ...record, id: 0 });
              const occurrence = seen.get(key) ?? 0;
              seen.set(key, occurrence + 1);
              added.push((await tx.importMessage(record, occurrence)).added);
            } else if (record.type === 'memory') {
              added.push(await tx.importMemory(record, record.versions.map((v) => textHash(v.memory)), record.versions.map((v) => embed(v.memory))));
            }
          }
          return added;
        }, target);
      expect(await importAll()).toEqual([true, true, true, true, true, true]);
      expect(await importAll()).toEqual([false, false, false, false, false, false]); // idempotent
      const reimported = await collect(target.exportRecords());
      expect(withoutIds(reimported.slice(1))).toEqual(withoutIds(exported.slice(1)));
      expect(await target.verify()).toEqual([]);
      // A memory whose current text is already current in its scope is not imported twice under another id.
      const copy = { ...(exported[6] as ExportMemory), id: 'another-id' };
      expect(await write((tx) => tx.importMemory(copy, [textHash('Plain')], [embed('Plain')]), target)).toBe(false);
    } finally {
      await target.close();
    }
  });

  it('verify() is clean on a healthy database and names invariants broken by hand', async () => {
    const m = await insert(newMemory('one', { userId: 'u1' }));
    await write((tx) => tx.reviseMemory(m.id, { text: 'two', hash: textHash('two'), metadata: {}, validFrom: 2_000 }, 2_000, 'api'));
    const n = await insert(newMemory('three', { userId: 'u1' }));
    expect(await storage.verify()).toEqual([]);
    await db.query(`UPDATE memories SET valid_to = valid_from - 1 WHERE id = $1 AND version = 1`, [m.id]);
    await db.query(`DELETE FROM history WHERE memory_id = $1`, [n.id]);
    await db.query(`UPDATE memories SET embedding = NULL, user_id = 'u9' WHERE id = $1 AND version = 2`, [m.id]);
    const problems = await storage.verify();
    expect(problems).toEqual(
      expect.arrayContaining([
        `memory ${m.id} version 1 ends before it begins (validTo < validFrom)`,
        `memory ${m.id} changed scope between versions`,
        `memory ${n.id} has no ADD in its history`,
        `memory ${n.id} has 1 versions but 0 ADD/UPDATE history rows`,
        `memory ${m.id} version 2 has no vector`,
      ]),
    );
    // The indexes refuse what verify() need not look for: a second current version.
    await expect(db.query(`UPDATE memories SET valid_to = NULL WHERE id = $1 AND version = 1`, [m.id])).rejects.toThrow(/memories_current_id/);
    await db.query(`INSERT INTO history (memory_id, event, actor, created_at) VALUES ('ghost', 'ADD', 'api', 1)`);
    expect(await storage.verify()).toContain('history points to memory ghost, which does not exist');
  });

  it('gives the planner statistics after many inserts (PGlite never autovacuums; without them it ignores the HNSW index)', async () => {
    const scratch = (await db.clone()) as PGlite;
    const analyzed = await PostgresStorage.open({ pglite: scratch });
    const tuples = async () => Number((await scratch.query<{ n: number }>(`SELECT reltuples AS n FROM pg_class WHERE oid = 'memories'::regclass`)).rows[0]?.n);
    try {
      await analyzed.bindEmbeddingModel(MODEL, DIM);
      await analyzed.transaction('write', 'testing', async (tx) => {
        for (let i = 0; i < 999; i++) await tx.insertMemory(newMemory(`fact ${i}`, { userId: 'u1' }), 1_000, 'api');
      });
      expect(await tuples()).toBeLessThan(0); // never analyzed yet
      await analyzed.transaction('write', 'testing', (tx) => tx.insertMemory(newMemory('one more', { userId: 'u1' }), 1_000, 'api'));
      expect(await tuples()).toBe(1_000);
    } finally {
      await analyzed.close();
      await scratch.close();
    }
  });

  it('verify() reports a dropped unique index and the duplicates it let in', async () => {
    const scratch = (await db.clone()) as PGlite;
    const checked = await PostgresStorage.open({ pglite: scratch });
    try {
      await checked.bindEmbeddingModel(MODEL, DIM);
      await scratch.query('DROP INDEX memories_current_hash');
      const twin = newMemory('same text', { userId: 'u1' });
      await checked.transaction('write', 'testing', (tx) => tx.insertMemory(twin, 1_000, 'api'));
      await checked.transaction('write', 'testing', (tx) => tx.insertMemory({ ...twin, id: 'twin-2' }, 1_000, 'api'));
      expect(await checked.verify()).toEqual([
        '2 current memories of one scope (user u1, agent -, run -) say the same text',
        'the unique index memories_current_hash is missing (app servers could store duplicates)',
      ]);
    } finally {
      await checked.close();
      await scratch.close();
    }
  });

  it('refuses another model, and fails writes and vector searches once another connection switched the model', async () => {
    const second = await PostgresStorage.open({ pglite: db });
    await expect(second.bindEmbeddingModel('another-model', DIM)).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await expect(second.bindEmbeddingModel(MODEL, DIM + 1)).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
    await second.close();
    await insert(newMemory('breakfast', { userId: 'u1' }));
    // What `engram reindex` on another connection would leave behind.
    await db.query(`UPDATE engram_meta SET value = 'another-model' WHERE key = 'embedding_model'`);
    try {
      await expect(insert(newMemory('after', { userId: 'u1' }))).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
      await expect(storage.searchCandidates({ scope: { userId: 'u1' }, k: 5, vector: vec(1, 0, 0, 0) })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
      await expect(read((tx) => tx.nearest(vec(1, 0, 0, 0), 5, { userId: 'u1' }))).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
      // Reads without vectors still work.
      expect((await storage.searchCandidates({ scope: { userId: 'u1' }, k: 5, keyword: 'breakfast' })).keyword).toHaveLength(1);
    } finally {
      await db.query(`UPDATE engram_meta SET value = $1 WHERE key = 'embedding_model'`, [MODEL]);
    }
  });
});

describe('entity graph', () => {
  const person = (id: string, key: string, scope: Scope = { userId: 'u1' }): EntityRecord => ({
    id,
    scope,
    name: key,
    key,
    type: 'person',
    aliases: [],
    embedding: vec(1, 0, 0, 0),
    createdAt: 1_000,
    updatedAt: 1_000,
  });

  it('two app servers naming the same new entity at once store one; the loser is re-run and finds it', async () => {
    const second = await PostgresStorage.open({ pglite: db });
    await second.bindEmbeddingModel(MODEL, DIM);
    const attempts = new Map<string, number>();
    const resolve = (on: Storage, id: string) =>
      write(async (tx) => {
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        // Each first attempt looked before the other committed (as on two servers).
        const existing = attempt === 1 ? undefined : (await tx.entities({ userId: 'u1' }, { exactScope: true })).find((e) => e.key === 'smith');
        if (existing) return existing.id;
        await tx.insertEntity(person(id, 'smith'));
        return id;
      }, on);
    const ids = await Promise.all([resolve(storage, 'smith-1'), resolve(second, 'smith-2')]);
    expect(ids[0]).toBe(ids[1]);
    expect(await read((tx) => tx.entities({ userId: 'u1' }))).toHaveLength(1);
    await second.close();
  });

  it('retiring a relation never ends it before it began; a merge needs two entities of one scope', async () => {
    const [a, b, other] = [person('a', 'ann'), person('b', 'ben'), person('c', 'cleo', { userId: 'u2' })];
    const knows: RelationRecord = { id: 'r1', scope: { userId: 'u1' }, sourceId: 'a', relation: 'knows', targetId: 'b', validFrom: 5_000, validTo: null, recordedAt: 6_000, retiredAt: null, memoryId: null, messageIds: [] };
    await write(async (tx) => {
      for (const e of [a, b, other]) await tx.insertEntity(e);
      await tx.insertRelation(knows);
      // A contradiction dated before the fact began, recorded by a clock behind the one that recorded it.
      expect(await tx.retireRelation('r1', 5_500, 1_000)).toBe(true);
    });
    expect(await read((tx) => tx.relations({ userId: 'u1' }, { includeRetired: true }))).toEqual([{ ...knows, validTo: 5_000, retiredAt: 6_000 }]);
    await expect(write((tx) => tx.mergeEntity('a', 'c'))).rejects.toThrow(/different scopes/);
    await expect(write((tx) => tx.mergeEntity('a', 'missing'))).rejects.toThrow(/does not exist/);
    await expect(write((tx) => tx.mergeEntity('a', 'a'))).rejects.toThrow(/into itself/);
    expect(await storage.verify()).toEqual([]);
  });
});

describe('migrations', () => {
  /** A store as an Engram of schema `version` left it: its steps, its version, and (when bound) what that version's binding added (the memories' vector column and index), with a memory. */
  async function storeAtVersion(version: number, bound: boolean): Promise<PGlite> {
    const old = (await empty.clone()) as PGlite;
    await old.exec('CREATE TABLE engram_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    for (const step of MIGRATIONS.filter((m) => m.version <= version)) await old.exec(step.sql);
    await old.query(`INSERT INTO engram_meta (key, value) VALUES ('schema_version', $1)`, [String(version)]);
    if (bound) {
      await old.exec(`ALTER TABLE memories ADD COLUMN embedding vector(${DIM})`);
      // A bound store of version 3 (the entity graph) or later has its entities' vectors too.
      if (version >= 3) await old.exec(`ALTER TABLE entities ADD COLUMN embedding vector(${DIM})`);
      await old.exec('CREATE INDEX memories_embedding_hnsw ON memories USING hnsw (embedding vector_cosine_ops) WHERE valid_to IS NULL');
      await old.query(`INSERT INTO engram_meta (key, value) VALUES ('embedding_model', $1), ('embedding_dimension', $2)`, [MODEL, String(DIM)]);
      await old.query(
        `INSERT INTO memories (id, version, text, hash, kind, user_id, created_at, updated_at, valid_from, embedding) VALUES ('old', 1, 'kept', $1, 'semantic', 'u1', 1, 1, 1, '[1,2,3,4]')`,
        [textHash('kept')],
      );
      await old.exec(`INSERT INTO history (memory_id, event, new_text, actor, created_at) VALUES ('old', 'ADD', 'kept', 'api', 1)`);
    }
    return old;
  }

  it('brings a store of every earlier schema version, bound to its model or not, up to date; its records stay and the graph works', async () => {
    for (const version of MIGRATIONS.map((m) => m.version).filter((v) => v < LATEST_SCHEMA_VERSION)) {
      for (const bound of [false, true]) {
        const old = await storeAtVersion(version, bound);
        const upgraded = await PostgresStorage.open({ pglite: old });
        try {
          expect((await old.query(`SELECT value FROM engram_meta WHERE key = 'schema_version'`)).rows, `version ${version}`).toEqual([{ value: String(LATEST_SCHEMA_VERSION) }]);
          await upgraded.bindEmbeddingModel(MODEL, DIM);
          const smith = { id: 'e1', scope: { userId: 'u1' }, name: 'Smith', key: 'smith', type: 'person' as const, aliases: ['Dr. Smith'], embedding: vec(0.5, 0, 0, 1), createdAt: 2, updatedAt: 2 };
          await write((tx) => tx.insertEntity(smith), upgraded);
          expect(await read((tx) => tx.entitiesById(['e1']), upgraded)).toEqual([smith]);
          expect(await read((tx) => tx.currentIds({ userId: 'u1' }), upgraded)).toEqual(bound ? ['old'] : []);
          expect(await upgraded.verify(), `version ${version}, ${bound ? 'bound' : 'unbound'}`).toEqual([]);
        } finally {
          await upgraded.close();
          await old.close();
        }
      }
    }
    // Two PGlite stores per earlier version (a few seconds each on a loaded machine): it grows with every migration.
  }, 240_000);
});

describe('over the wire', () => {
  it('opens a postgres:// URL through pg and makes a round trip; a refused connection names the URL without its password', async () => {
    const server = await servePglite(other);
    let url = server.url;
    try {
      // One connection: PGlite behind the socket has a single session.
      const remote = await PostgresStorage.open({ url, max: 1 });
      try {
        await remote.bindEmbeddingModel(MODEL, DIM);
        await write((tx) => tx.clear(), remote);
        const m = await write((tx) => tx.insertMemory(newMemory('over the wire', { userId: 'net' }, { embedding: vec(0, 0, 0, 1), metadata: { n: 1 } }), 1_000, 'api'), remote);
        await write((tx) => tx.reviseMemory(m.id, { text: 'still over the wire', hash: textHash('still over the wire'), metadata: { n: 2 }, validFrom: 2_000 }, 2_000, 'api'), remote);
        const found = await remote.searchCandidates({ scope: { userId: 'net' }, k: 3, vector: vec(0, 0, 0, 1), keyword: 'wire', filter: parseFilter({ n: { gte: 2 } }) });
        expect(found.vector).toEqual([{ id: m.id, cosine: expect.closeTo(1, 6) }]);
        expect(found.keyword.map((h) => h.id)).toEqual([m.id]);
        expect(await read((tx) => tx.memory(m.id, { at: 1_500 }), remote)).toMatchObject({ version: 1, metadata: { n: 1 } });
        expect((await read((tx) => tx.history(m.id), remote)).map((h) => h.event)).toEqual(['ADD', 'UPDATE']);
        expect(await remote.verify()).toEqual([]);
      } finally {
        await remote.close();
      }
    } finally {
      await server.stop();
    }
    url = server.url; // the port is closed now
    const refused = PostgresStorage.open({ url, max: 1, connectTimeoutMs: 2_000 });
    await expect(refused).rejects.toBeInstanceOf(EngramError);
    const error = (await refused.catch((e: unknown) => e)) as EngramError;
    expect(error.code).toBe('DB_ERROR');
    expect(error.message).toContain('postgres://postgres@127.0.0.1:');
    expect(error.message).not.toContain('secret-password');
  });
});

async function collect(records: AsyncGenerator<ExportRecord>): Promise<ExportRecord[]> {
  const all: ExportRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

/** Records without message ids: a database numbers its own messages. */
function withoutIds(records: ExportRecord[]): unknown[] {
  return records.map((r) => (r.type === 'message' ? { ...(r as ExportMessage), id: 0 } : r));
}
