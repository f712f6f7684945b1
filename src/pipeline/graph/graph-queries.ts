import { EngramError } from '../../errors.js';
import { normalizeEntityName } from '../../graph/entity-linker.js';
import type { Entity, Neighbourhood, Relation } from '../../graph/graph-schema.js';
import type { Scope } from '../../schema.js';
import type { EntityRecord, RelationRecord } from '../../storage/graph-records.js';
import type { StorageTransaction } from '../../storage/storage.js';
import { toIso } from '../../time.js';
import { selfName } from './entity-resolver.js';

/** Reads of the entity graph, inside a read transaction. */

/**
 * The entity `ref` names in a scope: an id, else a name or alias (as normalized), else "I" / "me" for the
 * scope's user. NOT_FOUND when none does; INVALID_INPUT when several entities of the scope (at different
 * levels, e.g. a user's and one of their agents') answer to the name.
 */
export async function findEntity(tx: StorageTransaction, scope: Scope, ref: string): Promise<EntityRecord> {
  const entities = await tx.entities(scope);
  const byId = entities.find((e) => e.id === ref);
  if (byId) return byId;
  const key = selfName(ref) ?? normalizeEntityName(ref);
  const named = entities.filter((e) => e.key === key || e.aliases.some((a) => normalizeEntityName(a) === key));
  if (named.length === 1) return named[0] as EntityRecord;
  if (named.length === 0) throw new EngramError('NOT_FOUND', `no entity named "${ref}" in this scope`);
  throw new EngramError('INVALID_INPUT', `${named.length} entities are named "${ref}" in this scope: give an id (${named.map((e) => e.id).join(', ')}) or a narrower scope`, {
    details: { candidates: named.map((e) => e.id) },
  });
}

/** Relations with both ends named for the API. */
export async function describeRelations(tx: StorageTransaction, relations: readonly RelationRecord[]): Promise<Relation[]> {
  const ids = [...new Set(relations.flatMap((r) => [r.sourceId, r.targetId]))];
  const names = new Map((await tx.entitiesById(ids)).map((e) => [e.id, e.name]));
  return relations.map((r) => toRelation(r, names));
}

/**
 * The entities within `depth` relations of `start` (true at `at`, or current), nearest first, and the
 * relations walked; breadth first, each entity once.
 */
export async function neighbourhood(tx: StorageTransaction, scope: Scope, start: EntityRecord, depth: number, at?: number): Promise<Neighbourhood> {
  const distance = new Map<string, number>([[start.id, 0]]);
  const walked = new Map<string, RelationRecord>();
  let frontier = [start.id];
  for (let step = 1; step <= depth && frontier.length > 0; step++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const relation of await tx.relations(scope, { entityId: id, at })) {
        walked.set(relation.id, relation);
        for (const other of [relation.sourceId, relation.targetId]) {
          if (distance.has(other)) continue;
          distance.set(other, step);
          next.push(other);
        }
      }
    }
    frontier = next;
  }
  const found = await tx.entitiesById([...distance.keys()].filter((id) => id !== start.id));
  return {
    entity: toEntity(start),
    entities: found.map((e) => ({ ...toEntity(e), distance: distance.get(e.id) as number })).sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name)),
    relations: await describeRelations(tx, [...walked.values()]),
  };
}

export function toEntity(record: EntityRecord): Entity {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    aliases: [...record.aliases],
    ...scopeFields(record.scope),
    createdAt: toIso(record.createdAt),
    updatedAt: toIso(record.updatedAt),
  };
}

function toRelation(record: RelationRecord, names: Map<string, string>): Relation {
  return {
    id: record.id,
    source: { id: record.sourceId, name: names.get(record.sourceId) ?? record.sourceId },
    relation: record.relation,
    target: { id: record.targetId, name: names.get(record.targetId) ?? record.targetId },
    validFrom: toIso(record.validFrom),
    ...(record.validTo === null ? {} : { validTo: toIso(record.validTo) }),
    recordedAt: toIso(record.recordedAt),
    ...(record.retiredAt === null ? {} : { retiredAt: toIso(record.retiredAt) }),
    ...(record.memoryId === null ? {} : { memoryId: record.memoryId }),
    messageIds: [...record.messageIds],
    ...scopeFields(record.scope),
  };
}

function scopeFields(scope: Scope): Pick<Entity, 'userId' | 'agentId' | 'runId'> {
  return {
    ...(scope.userId === undefined ? {} : { userId: scope.userId }),
    ...(scope.agentId === undefined ? {} : { agentId: scope.agentId }),
    ...(scope.runId === undefined ? {} : { runId: scope.runId }),
  };
}

