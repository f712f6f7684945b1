import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_FORMAT_VERSION, type ExportEntity, type ExportRelation } from '../src/export-format.js';
import type { Storage, StorageTransaction } from '../src/storage/storage.js';
import { collect } from './support/collect.js';
import { ALICE, ALICE_COACH, BOB, DIMENSION, T, entity, memory, relation, seedGraph, unit } from './support/graph-seed.js';
import { ENGINES } from './support/storage-engines.js';

/** The storage contract of the entity graph's records (see storage-contract.test.ts for the rest), on every engine. */

describe.each(ENGINES)('storage contract, the entity graph: $name', (engine) => {
  let storage: Storage;

  beforeEach(async () => {
    storage = (await engine.open()).storage;
    await storage.bindEmbeddingModel('contract-model', DIMENSION);
  });
  afterEach(async () => {
    await storage.close();
  });

  const write = <R>(work: (tx: StorageTransaction) => Promise<R>) => storage.transaction('write', 'testing', work);
  const read = <R>(work: (tx: StorageTransaction) => Promise<R>) => storage.transaction('read', 'testing', work);
  const ids = (records: { id: string }[]) => records.map((r) => r.id);

  it('stores an entity and reads it back whole (scope, aliases, vector, BIGINT times); one key per exact scope', async () => {
    const smith = entity('Dr. Smith', ALICE, { key: 'smith', aliases: ['my cardiologist Smith', 'Smith'], type: 'person', embedding: unit(3) });
    const coachSmith = entity('Smith', ALICE_COACH, { key: 'smith', type: 'person' });
    const lisbon = entity('Lisbon', BOB, { key: 'lisbon', type: 'place' });
    await write(async (tx) => {
      await tx.insertEntity(smith);
      await tx.insertEntity(coachSmith);
      await tx.insertEntity(lisbon);
    });
    await read(async (tx) => {
      const [found] = await tx.entitiesById([smith.id]);
      expect(found).toEqual(smith);
      expect(found?.embedding).toBeInstanceOf(Float32Array);
      expect(ids(await tx.entitiesById([lisbon.id, 'no-such-entity', smith.id])).sort()).toEqual([lisbon.id, smith.id].sort());
      // A scope and everything under it, oldest first; exactScope: only the scope itself.
      expect(ids(await tx.entities(ALICE))).toEqual([smith.id, coachSmith.id]);
      expect(ids(await tx.entities(ALICE, { exactScope: true }))).toEqual([smith.id]);
      expect(ids(await tx.entities(ALICE_COACH))).toEqual([coachSmith.id]);
      expect(ids(await tx.entities(BOB))).toEqual([lisbon.id]);
      expect(await tx.entities({ userId: 'carol' })).toEqual([]);
    });
    // The same key twice in one exact scope is refused, and so is an id stored twice.
    await expect(write((tx) => tx.insertEntity(entity('SMITH', ALICE, { key: 'smith' })))).rejects.toThrow();
    await expect(write((tx) => tx.insertEntity({ ...lisbon, key: 'porto' }))).rejects.toThrow();
    expect(await read((tx) => tx.entities(ALICE))).toHaveLength(2);
    expect(await storage.verify()).toEqual([]);
  });

  it('changes an entity: name, key, type, aliases, vector', async () => {
    const smith = entity('Smith', ALICE, { key: 'smith' });
    await write((tx) => tx.insertEntity(smith));
    await write((tx) => tx.updateEntity(smith.id, { name: 'Dr. Anna Smith', key: 'anna smith', aliases: ['Smith'], type: 'person', embedding: unit(5), updatedAt: T + 999 }));
    const [changed] = await read((tx) => tx.entitiesById([smith.id]));
    expect(changed).toEqual({ ...smith, name: 'Dr. Anna Smith', key: 'anna smith', aliases: ['Smith'], embedding: unit(5), updatedAt: T + 999 });
    await write((tx) => tx.updateEntity(smith.id, { aliases: ['Smith', 'Anna'], updatedAt: T + 1_000 }));
    expect((await read((tx) => tx.entitiesById([smith.id])))[0]).toMatchObject({ name: 'Dr. Anna Smith', aliases: ['Smith', 'Anna'], updatedAt: T + 1_000 });
  });

  it('stores relations with both time axes and reads them by entity, by memory, as of an instant, and retired', async () => {
    const me = entity('alice', ALICE, { type: 'user' });
    const acme = entity('Acme', ALICE, { type: 'organization' });
    const beta = entity('Beta Labs', ALICE, { type: 'organization' });
    const lisbon = entity('Lisbon', ALICE, { type: 'place' });
    const stated = memory('Works at Acme', ALICE);
    const worksAtAcme = relation(me, 'works_at', acme, { validFrom: T + 10, recordedAt: T + 10, memoryId: stated.id, messageIds: [1, 2] });
    const livesIn = relation(me, 'lives_in', lisbon, { validFrom: T + 5, recordedAt: T + 11 });
    await write(async (tx) => {
      for (const e of [me, acme, beta, lisbon]) await tx.insertEntity(e);
      await tx.insertMemory(stated, T, 'llm');
      await tx.insertRelation(worksAtAcme);
      await tx.insertRelation(livesIn);
    });
    await read(async (tx) => {
      expect(await tx.relations(ALICE)).toEqual([worksAtAcme, livesIn]);
      expect(ids(await tx.relations(ALICE, { entityId: acme.id }))).toEqual([worksAtAcme.id]);
      expect(ids(await tx.relations(ALICE, { entityId: me.id }))).toEqual([worksAtAcme.id, livesIn.id]);
      expect(ids(await tx.relations(ALICE, { memoryId: stated.id }))).toEqual([worksAtAcme.id]);
      expect(await tx.relations(BOB)).toEqual([]);
    });

    // She moves to Beta Labs at T + 100: the old relation is closed on both axes, never deleted.
    const worksAtBeta = relation(me, 'works_at', beta, { validFrom: T + 100, recordedAt: T + 200 });
    await write(async (tx) => {
      expect(await tx.retireRelation(worksAtAcme.id, T + 200, T + 100)).toBe(true);
      await tx.insertRelation(worksAtBeta);
    });
    expect(await write((tx) => tx.retireRelation(worksAtAcme.id, T + 300, T + 300))).toBe(false);
    await read(async (tx) => {
      expect(ids(await tx.relations(ALICE))).toEqual([livesIn.id, worksAtBeta.id]);
      const all = await tx.relations(ALICE, { includeRetired: true });
      expect(ids(all)).toEqual([worksAtAcme.id, livesIn.id, worksAtBeta.id]);
      expect(all[0]).toEqual({ ...worksAtAcme, validTo: T + 100, retiredAt: T + 200 });
      // As of an instant: what was true then (valid time), retired since or not.
      expect(ids(await tx.relations(ALICE, { at: T + 50 }))).toEqual([worksAtAcme.id, livesIn.id]);
      expect(ids(await tx.relations(ALICE, { at: T + 100 }))).toEqual([livesIn.id, worksAtBeta.id]);
      expect(ids(await tx.relations(ALICE, { at: T + 7 }))).toEqual([livesIn.id]);
      expect(ids(await tx.relations(ALICE, { at: T }))).toEqual([]);
    });
    // Retiring a relation that had already stopped being true keeps its validTo.
    const wasTrue = relation(me, 'studied_at', lisbon, { validFrom: T, validTo: T + 3, recordedAt: T + 400 });
    await write(async (tx) => {
      await tx.insertRelation(wasTrue);
      expect(await tx.retireRelation(wasTrue.id, T + 500, T + 450)).toBe(true);
    });
    expect((await read((tx) => tx.relations(ALICE, { includeRetired: true }))).at(-1)).toMatchObject({ validTo: T + 3, retiredAt: T + 500 });
    expect(await storage.verify()).toEqual([]);
  });

  it('refuses a relation whose entities are missing or belong to another exact scope', async () => {
    const a = entity('Anna', ALICE);
    const b = entity('Ben', ALICE);
    const coachOnly = entity('Cleo', ALICE_COACH);
    const bobs = entity('Dan', BOB);
    await write(async (tx) => {
      for (const e of [a, b, coachOnly, bobs]) await tx.insertEntity(e);
    });
    await expect(write((tx) => tx.insertRelation(relation(a, 'knows', bobs)))).rejects.toThrow();
    await expect(write((tx) => tx.insertRelation(relation(a, 'knows', coachOnly)))).rejects.toThrow();
    await expect(write((tx) => tx.insertRelation(relation(a, 'knows', { ...b, id: 'no-such-entity' })))).rejects.toThrow();
    await expect(write((tx) => tx.insertRelation(relation(a, 'knows', b, { scope: BOB })))).rejects.toThrow();
    expect(await read((tx) => tx.relations(ALICE, { includeRetired: true }))).toEqual([]);
    await write((tx) => tx.insertRelation(relation(a, 'knows', b)));
    expect(await read((tx) => tx.relations(ALICE))).toHaveLength(1);
  });

  it('links memories to the entities they name; finds current memories by entity, most names first', async () => {
    const anna = entity('Anna', ALICE);
    const porto = entity('Porto', ALICE, { type: 'place' });
    const coach = entity('Cleo', ALICE_COACH);
    const both = memory('Anna lives in Porto', ALICE);
    const annaOnly = memory('Anna likes tea', ALICE);
    const gone = memory('Anna had a cat', ALICE);
    const coachs = memory('Cleo coaches', ALICE_COACH);
    await write(async (tx) => {
      for (const e of [anna, porto, coach]) await tx.insertEntity(e);
      for (const m of [both, annaOnly, gone, coachs]) await tx.insertMemory(m, T, 'api');
      await tx.setMentions(both.id, [anna.id, porto.id]);
      await tx.setMentions(annaOnly.id, [porto.id]);
      await tx.setMentions(annaOnly.id, [anna.id]); // replaces
      await tx.setMentions(gone.id, [anna.id]);
      await tx.setMentions(coachs.id, [coach.id]);
      await tx.closeMemory(gone.id, T + 1, 'api');
    });
    await read(async (tx) => {
      const mentions = await tx.mentions([both.id, annaOnly.id, coachs.id, 'no-such-memory']);
      expect(mentions.get(both.id)?.sort()).toEqual([anna.id, porto.id].sort());
      expect(mentions.get(annaOnly.id)).toEqual([anna.id]);
      expect(mentions.get(coachs.id)).toEqual([coach.id]);
      expect(mentions.get('no-such-memory') ?? []).toEqual([]);
      expect(await tx.memoriesMentioning([anna.id, porto.id], 10)).toEqual([
        { memoryId: both.id, count: 2 },
        { memoryId: annaOnly.id, count: 1 },
      ]);
      expect(await tx.memoriesMentioning([anna.id, porto.id], 1)).toEqual([{ memoryId: both.id, count: 2 }]);
      expect(await tx.memoriesMentioning([porto.id], 10)).toEqual([{ memoryId: both.id, count: 1 }]);
      expect(await tx.memoriesMentioning([], 10)).toEqual([]);
    });
    // A memory and the entities it names share an exact scope.
    await expect(write((tx) => tx.setMentions(coachs.id, [anna.id]))).rejects.toThrow();
    await write((tx) => tx.setMentions(both.id, []));
    expect((await read((tx) => tx.mentions([both.id]))).get(both.id) ?? []).toEqual([]);
    expect(await storage.verify()).toEqual([]);
  });

  it('merges an entity into another: its relations and mentions move, a relation that would link it to itself goes, it is gone', async () => {
    const me = entity('alice', ALICE, { type: 'user' });
    const drSmith = entity('Dr. Smith', ALICE, { key: 'dr smith' });
    const smith = entity('my cardiologist Smith', ALICE, { key: 'my cardiologist smith' });
    const said = memory('Sees Dr. Smith', ALICE);
    const alsoSaid = memory('Dr. Smith is my cardiologist Smith', ALICE);
    const seesDr = relation(me, 'sees', drSmith);
    const treatedBy = relation(smith, 'treats', me);
    const sameAs = relation(drSmith, 'is', smith);
    await write(async (tx) => {
      for (const e of [me, drSmith, smith]) await tx.insertEntity(e);
      await tx.insertMemory(said, T, 'api');
      await tx.insertMemory(alsoSaid, T, 'api');
      await tx.setMentions(said.id, [drSmith.id]);
      await tx.setMentions(alsoSaid.id, [drSmith.id, smith.id]);
      for (const r of [seesDr, treatedBy, sameAs]) await tx.insertRelation(r);
    });
    await write((tx) => tx.mergeEntity(smith.id, drSmith.id));
    await read(async (tx) => {
      expect(ids(await tx.entities(ALICE))).toEqual([me.id, drSmith.id]);
      expect(await tx.entitiesById([smith.id])).toEqual([]);
      expect(await tx.relations(ALICE)).toEqual([seesDr, { ...treatedBy, sourceId: drSmith.id }]);
      // "Dr. Smith is my cardiologist Smith" said who they are, not a fact between two entities.
      expect(ids(await tx.relations(ALICE, { includeRetired: true }))).not.toContain(sameAs.id);
      expect((await tx.mentions([said.id, alsoSaid.id])).get(alsoSaid.id)).toEqual([drSmith.id]);
      expect(await tx.memoriesMentioning([drSmith.id], 10)).toHaveLength(2);
    });
    expect(await storage.verify()).toEqual([]);
  });

  it('forgets the graph with its scope (and everything under it) and nothing else; clear empties it', async () => {
    const seeded = await seedGraph(storage);
    const counts = await write((tx) => tx.purge(ALICE));
    expect(counts).toMatchObject({ entities: seeded.alice.entities, relations: seeded.alice.relations });
    await read(async (tx) => {
      expect(await tx.entities(ALICE)).toEqual([]);
      expect(await tx.relations(ALICE, { includeRetired: true })).toEqual([]);
      expect(await tx.entities(BOB)).toHaveLength(seeded.bob.entities);
      expect(await tx.relations(BOB, { includeRetired: true })).toHaveLength(seeded.bob.relations);
    });
    expect(JSON.stringify(await collect(storage.exportRecords()))).not.toMatch(/alice|Acme/);
    expect(await storage.verify()).toEqual([]);
    await write((tx) => tx.clear());
    await read(async (tx) => {
      expect(await tx.entities(BOB)).toEqual([]);
      expect(await tx.relations(BOB, { includeRetired: true })).toEqual([]);
    });
  });

  it('exports entities (with the memories naming them) and relations after the memories, before the queued adds', async () => {
    const seeded = await seedGraph(storage);
    const records = await collect(storage.exportRecords());
    expect(records[0]).toMatchObject({ type: 'engram', format: EXPORT_FORMAT_VERSION });
    const types = records.map((r) => r.type);
    const last = (type: string) => types.lastIndexOf(type as (typeof types)[number]);
    const first = (type: string) => types.indexOf(type as (typeof types)[number]);
    expect(last('memory')).toBeLessThan(first('entity'));
    expect(last('entity')).toBeLessThan(first('relation'));
    // The queued adds come after the graph because Memory.export appends them to the storage's records (which hold none).
    expect(types).not.toContain('job');
    const entities = records.filter((r): r is ExportEntity => r.type === 'entity');
    const relations = records.filter((r): r is ExportRelation => r.type === 'relation');
    expect(entities).toHaveLength(seeded.alice.entities + seeded.bob.entities);
    expect(relations).toHaveLength(seeded.alice.relations + seeded.bob.relations);
    const acme = entities.find((e) => e.name === 'Acme');
    expect(acme).toEqual({
      type: 'entity',
      id: seeded.acme.id,
      userId: 'alice',
      name: 'Acme',
      entityType: 'organization',
      aliases: ['ACME Corp'],
      memoryIds: [seeded.memoryId],
      createdAt: new Date(seeded.acme.createdAt).toISOString(),
      updatedAt: new Date(seeded.acme.updatedAt).toISOString(),
    });
    const retired = relations.find((r) => r.retiredAt !== undefined);
    expect(retired).toEqual({
      type: 'relation',
      id: seeded.retired.id,
      userId: 'alice',
      source: seeded.retired.sourceId,
      relation: 'works_at',
      target: seeded.retired.targetId,
      validFrom: new Date(seeded.retired.validFrom).toISOString(),
      validTo: new Date(T + 100).toISOString(),
      recordedAt: new Date(seeded.retired.recordedAt).toISOString(),
      retiredAt: new Date(T + 200).toISOString(),
      memoryId: seeded.memoryId,
      messageIds: seeded.retired.messageIds,
    });
  });
});

