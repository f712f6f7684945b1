import type { Scope } from '../../src/schema.js';
import type { EntityRecord, RelationRecord } from '../../src/storage/graph-records.js';
import type { NewMemory, Storage } from '../../src/storage/storage.js';
import { textHash } from '../../src/text-hash.js';

/** Records of the entity graph for the storage contract suites. */
export const DIMENSION = 8;
export const ALICE = { userId: 'alice' };
export const ALICE_COACH = { userId: 'alice', agentId: 'coach' };
export const BOB = { userId: 'bob' };
/** Past 2^31 ms, so a BIGINT that came back as a string or a truncated int would show. */
export const T = 1_767_225_600_000;

export function unit(axis: number): Float32Array {
  const v = new Float32Array(DIMENSION);
  v[axis % DIMENSION] = 1;
  return v;
}

let counter = 0;
const nextId = (prefix: string) => `0190b000-0000-7000-8000-${prefix}${String((counter += 1)).padStart(12 - prefix.length, '0')}`;

export function entity(name: string, scope: Scope, extra: Partial<EntityRecord> = {}): EntityRecord {
  return {
    id: nextId('e'),
    scope,
    name,
    key: name.toLowerCase(),
    type: 'person',
    aliases: [],
    embedding: unit(counter),
    createdAt: T + counter,
    updatedAt: T + counter,
    ...extra,
  };
}

export function relation(source: EntityRecord, name: string, target: EntityRecord, extra: Partial<RelationRecord> = {}): RelationRecord {
  return {
    id: nextId('f'),
    scope: source.scope,
    sourceId: source.id,
    relation: name,
    targetId: target.id,
    validFrom: T,
    validTo: null,
    recordedAt: T + counter,
    retiredAt: null,
    memoryId: null,
    messageIds: [],
    ...extra,
  };
}

export function memory(text: string, scope: Scope): NewMemory {
  return {
    id: nextId('a'),
    text,
    hash: textHash(text),
    kind: 'semantic',
    scope,
    metadata: {},
    validFrom: T,
    source: null,
    embedding: unit(counter),
  };
}

/** A small graph for Alice (user and agent levels) and Bob, with a queued add, a retired relation and mentions. */
export async function seedGraph(storage: Storage) {
  const me = entity('alice', ALICE, { type: 'user' });
  const acme = entity('Acme', ALICE, { type: 'organization', aliases: ['ACME Corp'] });
  const coachMe = entity('alice', ALICE_COACH, { type: 'user' });
  const gym = entity('the gym', ALICE_COACH, { type: 'place', key: 'gym' });
  const bob = entity('bob', BOB, { type: 'user' });
  const rex = entity('Rex', BOB, { type: 'thing' });
  const stated = memory('Works at Acme', ALICE);
  const retired = relation(me, 'works_at', acme, { memoryId: stated.id, messageIds: [] });
  await storage.transaction('write', 'seeding the graph', async (tx) => {
    const messageIds = await tx.appendMessages(ALICE, [{ role: 'user', name: null, content: 'I work at Acme', createdAt: T }], T);
    retired.messageIds = messageIds;
    await tx.insertMemory(stated, T, 'llm');
    for (const e of [me, acme, coachMe, gym, bob, rex]) await tx.insertEntity(e);
    await tx.setMentions(stated.id, [acme.id, me.id]);
    await tx.insertRelation(retired);
    await tx.retireRelation(retired.id, T + 200, T + 100);
    await tx.insertRelation(relation(coachMe, 'trains_at', gym));
    await tx.insertRelation(relation(bob, 'owns', rex));
    await tx.insertJob({ id: 'seeded-graph-job', scope: BOB, kind: 'extract', messageIds: [], metadata: {}, createdAt: T });
  });
  return { alice: { entities: 4, relations: 2 }, bob: { entities: 2, relations: 1 }, acme, retired, memoryId: stated.id };
}
