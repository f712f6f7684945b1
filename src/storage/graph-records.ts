import type { Scope } from '../schema.js';

/**
 * The entity graph's records (see pipeline/graph/). An entity is something
 * the memories of a scope name (a person, a place, an organisation, a
 * thing, or the scope's user); a relation links two entities of one scope
 * with two time axes, as Graphiti does: when the fact was true in the world
 * (validFrom / validTo) and when Engram recorded and retired it
 * (recordedAt / retiredAt). A contradicted relation is retired, never
 * deleted; only forget (purge) and reset remove graph records.
 */
export type EntityType = 'user' | 'person' | 'place' | 'organization' | 'thing';
export const ENTITY_TYPES: readonly EntityType[] = ['user', 'person', 'place', 'organization', 'thing'];

export type EntityRecord = {
  id: string;
  /** The exact scope of the adds that named it: entities are never shared between scopes. */
  scope: Scope;
  /** How it was first named, as written. */
  name: string;
  /** The normalized name (see graph/entity-names.ts): unique within an exact scope, so one name is never kept twice. */
  key: string;
  type: EntityType;
  /** Other names it was called by (as written), first seen first; never its own name. */
  aliases: string[];
  /** The embedding of the name, for matching names written differently; the store's embedding model. */
  embedding: Float32Array;
  createdAt: number;
  updatedAt: number;
};

/** Fields that change when an entity is merged with another name or refined. */
export type EntityChange = Partial<Pick<EntityRecord, 'name' | 'key' | 'type' | 'aliases' | 'embedding'>> & { updatedAt: number };

export type RelationRecord = {
  id: string;
  /** The exact scope of both its entities. */
  scope: Scope;
  sourceId: string;
  /** A short verb phrase in snake case: works_at, lives_in, takes, knows. */
  relation: string;
  targetId: string;
  /** When it became true (ms). */
  validFrom: number;
  /** When it stopped being true; null while true. */
  validTo: number | null;
  /** When Engram recorded it. */
  recordedAt: number;
  /** When Engram retired it (contradicted, retracted, or its memory deleted); null while current. */
  retiredAt: number | null;
  /** The memory it was stated with; null when that memory is gone (forget) or for an import without it. */
  memoryId: string | null;
  /** The logged messages it came from. */
  messageIds: number[];
};

export type RelationQuery = {
  /** Only relations touching this entity (as source or target). */
  entityId?: string | undefined;
  /** Only relations stated with this memory. */
  memoryId?: string | undefined;
  /** Relations true at this instant (validFrom ≤ at < validTo), retired since or not; default: current (not retired) ones. */
  at?: number | undefined;
  /** Every relation, retired or not (ignores `at`). */
  includeRetired?: boolean | undefined;
};
