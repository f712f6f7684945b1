import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExportMemory, ExportRecord } from '../src/export-format.js';
import type { Scope } from '../src/schema.js';
import type { EntityRecord, RelationRecord } from '../src/storage/graph-records.js';
import type { NewMemory, Storage, StorageTransaction } from '../src/storage/storage.js';
import { textHash } from '../src/text-hash.js';
import { toIso } from '../src/time.js';
import { collect } from './support/collect.js';
import { ENGINES } from './support/storage-engines.js';

/**
 * The storage contract of memory expiry (see the port's "Expiry"), on every
 * engine. Times are relative to the clock: a memory expiring a second ago has
 * expired, one expiring in an hour has not (no test sleeps).
 */
const DIMENSION = 4;
const MODEL = 'contract-model';
const HOUR = 3_600_000;
const ALICE = { userId: 'alice' };
const ALICE_COACH = { userId: 'alice', agentId: 'coach' };
const BOB = { userId: 'bob' };

function unit(axis: number): Float32Array {
  const v = new Float32Array(DIMENSION);
  v[axis % DIMENSION] = 1;
  return v;
}

let counter = 0;
const nextId = (prefix: string) => `0190d000-0000-7000-8000-${prefix}${String((counter += 1)).padStart(11, '0')}`;

/** A memory true since ten hours ago; `extra` sets its expiry, source, vector. */
function memory(text: string, scope: Scope, extra: Partial<NewMemory> = {}): NewMemory {
  return {
    id: nextId('a'),
    text,
    hash: textHash(text),
    kind: 'semantic',
    scope,
    metadata: {},
    validFrom: Date.now() - 10 * HOUR,
    source: null,
    embedding: unit(0),
    ...extra,
  };
}

function entity(name: string, scope: Scope): EntityRecord {
  const at = Date.now() - 10 * HOUR;
  return { id: nextId('e'), scope, name, key: name.toLowerCase(), type: 'thing', aliases: [], embedding: unit(1), createdAt: at, updatedAt: at };
}

function relation(source: EntityRecord, name: string, target: EntityRecord, memoryId: string): RelationRecord {
  const at = Date.now() - 10 * HOUR;
  return { id: nextId('f'), scope: source.scope, sourceId: source.id, relation: name, targetId: target.id, validFrom: at, validTo: null, recordedAt: at, retiredAt: null, memoryId, messageIds: [] };
}

/** An exported memory of one open version, as another store would have written it. */
function exported(text: string, scope: Scope, expiresAt?: number): ExportMemory {
  const at = toIso(Date.now() - 10 * HOUR);
  return {
    type: 'memory',
    id: nextId('b'),
    kind: 'semantic',
    ...scope,
    createdAt: at,
    versions: [{ version: 1, memory: text, metadata: {}, validFrom: at, updatedAt: at, ...(expiresAt === undefined ? {} : { expiresAt: toIso(expiresAt) }) }],
    history: [],
  };
}

const ids = (records: readonly { id: string }[]) => records.map((r) => r.id);
const withoutHeader = (records: ExportRecord[]) => records.filter((r) => r.type !== 'engram');

describe.each(ENGINES)('storage contract, expiry: $name', (engine) => {
  let storage: Storage;
  const others: Storage[] = [];

  beforeEach(async () => {
    storage = (await engine.open()).storage;
    await storage.bindEmbeddingModel(MODEL, DIMENSION);
  });
  afterEach(async () => {
    await storage.close();
    for (const other of others.splice(0)) await other.close();
  });

  const write = <R>(work: (tx: StorageTransaction) => Promise<R>) => storage.transaction('write', 'testing', work);
  const read = <R>(work: (tx: StorageTransaction) => Promise<R>) => storage.transaction('read', 'testing', work);

  it('leaves an expired memory out of every read of now, and in reads of an instant before it expired', async () => {
    const expiresAt = Date.now() - 1_000;
    const drinks = entity('drinks', ALICE);
    const said = await write((tx) => tx.appendMessages(ALICE, [{ role: 'user', name: null, content: 'tea and coffee', createdAt: Date.now() - 10 * HOUR }], Date.now()));
    const expired = memory('likes tea', ALICE, { expiresAt, source: { messageIds: said } });
    const live = memory('likes coffee', ALICE, { expiresAt: Date.now() + HOUR, source: { messageIds: said } });
    await write(async (tx) => {
      await tx.insertEntity(drinks);
      for (const m of [expired, live]) {
        await tx.insertMemory(m, Date.now() - 10 * HOUR, 'api');
        await tx.setMentions(m.id, [drinks.id]);
      }
    });

    await read(async (tx) => {
      expect(await tx.memory(expired.id)).toBeUndefined();
      expect(await tx.memory(live.id)).toMatchObject({ memory: 'likes coffee', expiresAt: toIso(live.expiresAt as number) });
      expect(ids(await tx.list(ALICE, { limit: 10, offset: 0 }))).toEqual([live.id]);
      expect(await tx.count(ALICE, {})).toBe(1);
      expect(await tx.countCurrent(ALICE)).toBe(1);
      expect(await tx.currentIds(ALICE)).toEqual([live.id]);
      expect(await tx.currentMemoryByHash(ALICE, expired.hash)).toBeUndefined();
      expect((await tx.currentMemoryByHash(ALICE, live.hash))?.id).toBe(live.id);
      expect((await tx.nearest(unit(0), 5, ALICE)).map((n) => n.item.id)).toEqual([live.id]);
      expect((await tx.nearest(unit(0), 5, ALICE, { exactScope: true })).map((n) => n.item.id)).toEqual([live.id]);
      expect([...(await tx.sourceMessages([expired.id, live.id])).keys()]).toEqual([live.id]);
      expect(await tx.mentionCounts([drinks.id])).toEqual(new Map([[drinks.id, 1]]));
      expect(await tx.memoriesMentioning([drinks.id], 10)).toEqual([{ memoryId: live.id, count: 1 }]);
    });
    for (const exact of [false, true]) {
      const found = await storage.searchCandidates({ scope: ALICE, k: 5, vector: unit(0), keyword: 'likes', exact });
      expect(ids(found.vector), `exact: ${exact}`).toEqual([live.id]);
      expect(ids(found.keyword)).toEqual([live.id]);
      expect([...found.byId.keys()]).toEqual([live.id]);
    }

    // Before it expired it was there; from its expiry on it is not.
    const before = expiresAt - 1;
    await read(async (tx) => {
      expect(await tx.memory(expired.id, { at: before })).toMatchObject({ memory: 'likes tea', expiresAt: toIso(expiresAt) });
      expect(await tx.memory(expired.id, { at: expiresAt })).toBeUndefined();
      expect(ids(await tx.list(ALICE, { limit: 10, offset: 0, at: before })).sort()).toEqual([expired.id, live.id].sort());
      expect(ids(await tx.list(ALICE, { limit: 10, offset: 0, at: expiresAt }))).toEqual([live.id]);
      expect(await tx.count(ALICE, { at: before })).toBe(2);
      expect([...(await tx.sourceMessages([expired.id], before)).keys()]).toEqual([expired.id]);
      expect((await tx.history(expired.id)).map((h) => h.event)).toEqual(['ADD']);
    });
    expect(ids((await storage.searchCandidates({ scope: ALICE, k: 5, keyword: 'tea', at: before })).keyword)).toEqual([expired.id]);
    expect(await storage.verify()).toEqual([]);
  });

  it('never changes an expired memory; a revision keeps expiresAt unless it sets or clears it', async () => {
    const expired = memory('likes tea', ALICE, { expiresAt: Date.now() - 1_000 });
    const live = memory('likes coffee', ALICE, { expiresAt: Date.now() + HOUR });
    await write(async (tx) => {
      await tx.insertMemory(expired, Date.now() - 10 * HOUR, 'api');
      await tx.insertMemory(live, Date.now() - 10 * HOUR, 'api');
    });
    const revision = (text: string, extra: { expiresAt?: number | null } = {}) => ({ text, hash: textHash(text), metadata: {}, validFrom: Date.now(), ...extra });

    await write(async (tx) => {
      expect(await tx.reviseMemory(expired.id, revision('likes green tea'), Date.now(), 'user')).toBeUndefined();
      expect(await tx.closeMemory(expired.id, Date.now(), 'user')).toBe(false);
    });
    await read(async (tx) => {
      expect((await tx.history(expired.id)).map((h) => h.event)).toEqual(['ADD']);
      const asItWas = await tx.memory(expired.id, { at: (expired.expiresAt as number) - 1 });
      expect(asItWas).toMatchObject({ version: 1, memory: 'likes tea' });
      expect(asItWas?.validTo).toBeUndefined();
    });

    const inAnHour = toIso(live.expiresAt as number);
    const kept = await write((tx) => tx.reviseMemory(live.id, revision('likes black coffee'), Date.now(), 'user'));
    expect(kept).toMatchObject({ version: 2, expiresAt: inAnHour });
    const later = Date.now() + 2 * HOUR;
    const moved = await write((tx) => tx.reviseMemory(live.id, revision('likes espresso', { expiresAt: later }), Date.now(), 'user'));
    expect(moved).toMatchObject({ version: 3, expiresAt: toIso(later) });
    const cleared = await write((tx) => tx.reviseMemory(live.id, revision('likes any coffee', { expiresAt: null }), Date.now(), 'user'));
    expect(cleared?.version).toBe(4);
    expect(cleared?.expiresAt).toBeUndefined();
    expect((await read((tx) => tx.memory(live.id)))?.expiresAt).toBeUndefined();
    // A revision may expire it at once.
    await write((tx) => tx.reviseMemory(live.id, revision('liked coffee', { expiresAt: Date.now() - 1 }), Date.now(), 'user'));
    expect(await read((tx) => tx.memory(live.id))).toBeUndefined();
    expect(await storage.verify()).toEqual([]);
  });

  it('stores a text again where it expired: the expired version is closed at its expiry with a DELETE by api, "expired"', async () => {
    const expiresAt = Date.now() - 1_000;
    const expired = memory('likes tea', ALICE, { expiresAt, metadata: { topic: 'food' } });
    const coachs = memory('likes tea', ALICE_COACH, { expiresAt });
    await write(async (tx) => {
      await tx.insertMemory(expired, Date.now() - 10 * HOUR, 'llm');
      await tx.insertMemory(coachs, Date.now() - 10 * HOUR, 'llm');
    });
    const at = Date.now();
    const again = memory('likes tea', ALICE);
    await write((tx) => tx.insertMemory(again, at, 'user'));

    await read(async (tx) => {
      expect((await tx.currentMemoryByHash(ALICE, again.hash))?.id).toBe(again.id);
      expect(await tx.memory(expired.id)).toBeUndefined();
      expect(await tx.memory(expired.id, { at: expiresAt - 1 })).toMatchObject({ memory: 'likes tea', validTo: toIso(expiresAt), expiresAt: toIso(expiresAt) });
      expect((await tx.history(expired.id)).map(({ id: _id, ...h }) => h)).toEqual([
        { memoryId: expired.id, event: 'ADD', newMemory: 'likes tea', newMetadata: { topic: 'food' }, actor: 'llm', createdAt: expect.any(String) },
        { memoryId: expired.id, event: 'DELETE', oldMemory: 'likes tea', oldMetadata: { topic: 'food' }, actor: 'api', reason: 'expired', createdAt: toIso(at) },
      ]);
      // Only exactly that scope: the coach's expired copy stays as it was.
      expect((await tx.history(coachs.id)).map((h) => h.event)).toEqual(['ADD']);
      expect(await tx.currentIds(ALICE)).toEqual([again.id]);
    });
    expect(await storage.verify()).toEqual([]);
  });

  it('revises a memory into a text that expired in its scope: the expired version is closed first', async () => {
    const expired = memory('likes tea', ALICE, { expiresAt: Date.now() - 1_000 });
    const other = memory('likes coffee', ALICE);
    await write(async (tx) => {
      await tx.insertMemory(expired, Date.now() - 10 * HOUR, 'api');
      await tx.insertMemory(other, Date.now() - 10 * HOUR, 'api');
    });
    const at = Date.now();
    const revised = await write((tx) => tx.reviseMemory(other.id, { text: 'likes tea', hash: textHash('likes tea'), metadata: {}, validFrom: at }, at, 'user'));
    expect(revised).toMatchObject({ id: other.id, version: 2, memory: 'likes tea' });
    await read(async (tx) => {
      expect((await tx.currentMemoryByHash(ALICE, textHash('likes tea')))?.id).toBe(other.id);
      expect((await tx.history(expired.id)).at(-1)).toMatchObject({ event: 'DELETE', actor: 'api', reason: 'expired', createdAt: toIso(at) });
    });
    expect(await storage.verify()).toEqual([]);
  });

  it('lists the memories that expired by an instant, in a scope or anywhere, oldest first; not one deleted before it expired', async () => {
    const now = Date.now();
    const a = memory('a', ALICE, { expiresAt: now - 3_000 });
    const b = memory('b', ALICE_COACH, { expiresAt: now - 2_000 });
    const bobs = memory('bob', BOB, { expiresAt: now - 1_000 });
    const reAdded = memory('again', ALICE, { expiresAt: now - 1_500 });
    const forever = memory('forever', ALICE);
    const inAnHour = memory('in an hour', ALICE, { expiresAt: now + HOUR });
    const deletedFirst = memory('deleted first', ALICE, { expiresAt: now + HOUR });
    await write(async (tx) => {
      for (const m of [a, b, bobs, reAdded, forever, inAnHour, deletedFirst]) await tx.insertMemory(m, now - 10 * HOUR, 'api');
      expect(await tx.closeMemory(deletedFirst.id, now, 'user')).toBe(true);
    });
    await write((tx) => tx.insertMemory(memory('again', ALICE), Date.now(), 'api'));

    await read(async (tx) => {
      expect(await tx.expiredMemoryIds(now)).toEqual([a.id, b.id, reAdded.id, bobs.id]);
      expect(await tx.expiredMemoryIds(now, ALICE)).toEqual([a.id, b.id, reAdded.id]);
      expect(await tx.expiredMemoryIds(now, ALICE_COACH)).toEqual([b.id]);
      expect(await tx.expiredMemoryIds(now, BOB)).toEqual([bobs.id]);
      expect(await tx.expiredMemoryIds(now, { userId: 'carol' })).toEqual([]);
      expect(await tx.expiredMemoryIds(now - 2_500, ALICE)).toEqual([a.id]);
      // Two hours on, the one expiring in an hour has expired too; the one deleted before it expired never does.
      expect(await tx.expiredMemoryIds(now + 2 * HOUR, ALICE)).toEqual([a.id, b.id, reAdded.id, inAnHour.id]);
    });
  });

  it('erases memories for good, with what only they held', async () => {
    const now = Date.now();
    const then = now - 10 * HOUR;
    const said = (scope: Scope, contents: string[]) =>
      write((tx) => tx.appendMessages(scope, contents.map((content) => ({ role: 'user' as const, name: null, content, createdAt: then })), then));
    const [onlyMine, shared, queued] = (await said(ALICE, ['only mine', 'shared', 'queued'])) as [number, number, number];
    const [bobSaid] = (await said(BOB, ['bob said'])) as [number];
    const me = entity('alice', ALICE);
    const tea = entity('tea', ALICE);
    const drinks = entity('drinks', ALICE);
    const gone = memory('likes tea', ALICE, { expiresAt: now + HOUR, source: { messageIds: [onlyMine] } });
    const kept = memory('likes coffee', ALICE, { source: { messageIds: [shared] } });
    const bobs = memory('bob fact', BOB, { expiresAt: now - 1_000, source: { messageIds: [bobSaid] } });
    // A source an imported file may carry (import keeps what it cannot read): a purge must read past it, not fail on it.
    const odd = memory('odd source', ALICE, { source: { messageIds: 'abc' } });
    const likesTea = relation(me, 'likes', tea, gone.id);
    const likesDrinks = relation(me, 'likes', drinks, kept.id);
    await write(async (tx) => {
      for (const e of [me, tea, drinks]) await tx.insertEntity(e);
      for (const m of [gone, kept, bobs, odd]) await tx.insertMemory(m, then, 'llm');
      // Its second version cites other messages, and expires at once.
      await tx.reviseMemory(gone.id, { text: 'likes green tea', hash: textHash('likes green tea'), metadata: {}, validFrom: then + 1, source: { messageIds: [shared, queued, 'x', 1.5] }, expiresAt: now - 1_000 }, then + 1, 'llm');
      await tx.setMentions(gone.id, [tea.id, drinks.id]);
      await tx.setMentions(kept.id, [drinks.id]);
      await tx.insertRelation(likesTea);
      await tx.insertRelation(likesDrinks);
      await tx.insertJob({ id: 'queued-add', scope: ALICE, kind: 'extract', messageIds: [queued], metadata: {}, createdAt: now });
    });

    expect(await write((tx) => tx.eraseMemories([gone.id, 'no-such-memory', gone.id]))).toEqual({ memories: 1, messages: 1, entities: 1, relations: 1 });
    await read(async (tx) => {
      expect(await tx.hasMemory(gone.id)).toBe(false);
      expect(await tx.history(gone.id)).toEqual([]);
      expect(await tx.memory(gone.id, { at: then + 1 })).toBeUndefined();
      expect(await tx.mentions([gone.id])).toEqual(new Map());
      expect(ids(await tx.relations(ALICE, { includeRetired: true }))).toEqual([likesDrinks.id]);
      // tea was named by it alone; drinks is named by another memory; alice was never named by it.
      expect(ids(await tx.entitiesById([me.id, tea.id, drinks.id])).sort()).toEqual([me.id, drinks.id].sort());
      // Its own message goes; one a live memory cites, and one a queued add waits for, stay.
      expect((await tx.messagesById([onlyMine, shared, queued])).map((m) => m.content)).toEqual(['shared', 'queued']);
      expect((await tx.memory(kept.id))?.memory).toBe('likes coffee');
      expect(await tx.mentions([kept.id])).toEqual(new Map([[kept.id, [drinks.id]]]));
      expect(await tx.hasMemory(bobs.id)).toBe(true);
      expect(await tx.messagesById([bobSaid])).toHaveLength(1);
      expect(await tx.expiredMemoryIds(now)).toEqual([bobs.id]);
    });
    expect(await write((tx) => tx.eraseMemories(['no-such-memory']))).toEqual({ memories: 0, messages: 0, entities: 0, relations: 0 });
    expect(await storage.verify()).toEqual([]);
  });

  it('exports expiresAt with each version and imports it back', async () => {
    const live = memory('likes coffee', ALICE, { expiresAt: Date.now() + HOUR });
    const expired = memory('likes tea', ALICE, { expiresAt: Date.now() - 1_000 });
    const forever = memory('likes water', ALICE);
    await write(async (tx) => {
      for (const m of [live, expired, forever]) await tx.insertMemory(m, Date.now() - 10 * HOUR, 'api');
      await tx.reviseMemory(live.id, { text: 'likes black coffee', hash: textHash('likes black coffee'), metadata: {}, validFrom: Date.now() }, Date.now(), 'user');
    });
    const records = await collect(storage.exportRecords());
    const versions = (id: string) => (records.find((r) => r.type === 'memory' && r.id === id) as ExportMemory).versions;
    expect(versions(live.id).map((v) => v.expiresAt)).toEqual([toIso(live.expiresAt as number), toIso(live.expiresAt as number)]);
    expect(versions(expired.id)[0]?.expiresAt).toBe(toIso(expired.expiresAt as number));
    expect(versions(forever.id)[0]).not.toHaveProperty('expiresAt');

    const target = await engine.open();
    others.push(target.storage);
    await target.storage.bindEmbeddingModel(MODEL, DIMENSION);
    await target.storage.transaction('write', 'importing', async (tx) => {
      for (const r of records) if (r.type === 'memory') expect(await tx.importMemory(r, r.versions.map((v) => textHash(v.memory)), r.versions.map(() => unit(0)))).toBe(true);
    });
    expect(withoutHeader(await collect(target.storage.exportRecords()))).toEqual(withoutHeader(records));
    expect(await target.storage.transaction('read', 'testing', (tx) => tx.memory(expired.id))).toBeUndefined();
    expect(await target.storage.verify()).toEqual([]);
  });

  it('imports a live text over its expired version, and never an expired text over an open one', async () => {
    const expiredTea = memory('likes tea', ALICE, { expiresAt: Date.now() - 1_000 });
    const liveMilk = memory('likes milk', ALICE);
    const expiredJuice = memory('likes juice', ALICE, { expiresAt: Date.now() - 1_000 });
    await write(async (tx) => {
      for (const m of [expiredTea, liveMilk, expiredJuice]) await tx.insertMemory(m, Date.now() - 10 * HOUR, 'api');
    });
    const tea = exported('likes tea', ALICE, Date.now() + HOUR);
    const milkExpired = exported('likes milk', ALICE, Date.now() - 1_000);
    const milk = exported('likes milk', ALICE);
    const juiceExpired = exported('likes juice', ALICE, Date.now() - 1_000);
    const importOne = (record: ExportMemory) => write((tx) => tx.importMemory(record, [textHash(record.versions[0]?.memory as string)], [unit(0)]));

    expect(await importOne(tea)).toBe(true);
    expect(await importOne(milkExpired)).toBe(false);
    expect(await importOne(milk)).toBe(false);
    expect(await importOne(juiceExpired)).toBe(false);
    await read(async (tx) => {
      expect((await tx.currentMemoryByHash(ALICE, textHash('likes tea')))?.id).toBe(tea.id);
      expect((await tx.history(expiredTea.id)).at(-1)).toMatchObject({ event: 'DELETE', actor: 'api', reason: 'expired' });
      expect(await tx.hasMemory(milkExpired.id)).toBe(false);
      expect(await tx.hasMemory(juiceExpired.id)).toBe(false);
      expect((await tx.history(expiredJuice.id)).map((h) => h.event)).toEqual(['ADD']);
    });
    expect(await storage.verify()).toEqual([]);
  });
});
