import { EngramError, type Entity, type HistoryEntry, type Job, type LoggedMessage, type MemoryEvent, type MemoryItem, type Neighbourhood, type Policy, type Relation, type ScopeOwner, type ScoredMemory } from '../index.js';

/** Values that belong to the user, whose keys are never renamed. */
const OPAQUE_KEYS: ReadonlySet<string> = new Set(['metadata', 'filters']);

/** `userId` → `user_id`: the wire spelling of an Engram option name. */
export const snakeCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
/** `user_id` → `userId`: the Memory API's spelling of a wire name. */
export const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/**
 * Renames camelCase keys (userId → user_id, …) to Mem0's snake_case, at every
 * level except inside `metadata` and `filters` (user data). A key given in
 * both spellings is INVALID_INPUT: which one was meant is unknowable.
 */
export function toSnakeKeys(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => toSnakeKeys(item, `${where}[${i}]`));
  if (!isPlainRecord(value)) return value;
  const entries = Object.entries(value).map(([key, child]): [string, unknown] => {
    const name = snakeCase(key);
    if (name !== key && Object.hasOwn(value, name)) {
      throw new EngramError('INVALID_INPUT', `${where} has both "${name}" and "${key}"; send one of them`);
    }
    return [name, OPAQUE_KEYS.has(name) ? child : toSnakeKeys(child, `${where}.${name}`)];
  });
  // fromEntries defines own properties, so a "__proto__" key stays data (and is refused as unknown).
  return Object.fromEntries(entries);
}

/** The reverse of toSnakeKeys, for values handed to the Memory API; `null` (Python's None) drops the key. */
export function toCamelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCamelKeys);
  if (!isPlainRecord(value)) return value;
  const entries = Object.entries(value)
    .filter(([, child]) => child !== null && child !== undefined)
    .map(([key, child]): [string, unknown] => [camelCase(key), OPAQUE_KEYS.has(key) ? child : toCamelKeys(child)]);
  return Object.fromEntries(entries);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A memory as Mem0's REST server returns it (snake_case), with Engram's extra fields. */
export function toWireMemory(item: MemoryItem) {
  return {
    id: item.id,
    memory: item.memory,
    hash: item.hash,
    metadata: item.metadata,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    user_id: item.userId,
    agent_id: item.agentId,
    run_id: item.runId,
    kind: item.kind,
    version: item.version,
    valid_from: item.validFrom,
    valid_to: item.validTo,
    expiration_date: item.expiresAt,
  };
}

/** A logged message: a search hit's source, a memory's provenance. */
export function toWireMessage(m: LoggedMessage) {
  return { id: m.id, role: m.role, ...(m.name ? { name: m.name } : {}), content: m.content, created_at: m.createdAt };
}

/** A user, agent or run with current memories (`GET /scopes`). */
export function toWireScopeOwner(owner: ScopeOwner) {
  return { type: owner.type, id: owner.id, memories: owner.memories, created_at: owner.createdAt, updated_at: owner.updatedAt };
}

/** A search hit: the memory, its `score` in [0, 1] and, with `explain`, its per-signal scores. */
export function toWireScoredMemory(item: ScoredMemory) {
  const signals = item.signals;
  return {
    ...toWireMemory(item),
    score: item.score,
    signals: signals && {
      vector: signals.vector,
      vector_rank: signals.vectorRank,
      keyword: signals.keyword,
      keyword_rank: signals.keywordRank,
      recency: signals.recency,
      importance: signals.importance,
      rerank: signals.rerank,
      entity: signals.entity,
      time: signals.time,
      neighbour: signals.neighbour,
    },
    ...(item.neighbours ? { neighbours: { before: item.neighbours.before.map(toWireMemory), after: item.neighbours.after.map(toWireMemory) } } : {}),
    ...(item.sources ? { sources: item.sources.map(toWireMessage) } : {}),
  };
}

/** One result of `add`, as Mem0 returns it (`previous_memory` on UPDATE). */
export function toWireEvent(event: MemoryEvent) {
  return { id: event.id, memory: event.memory, event: event.event, previous_memory: event.previousMemory };
}

/** One history entry, with Mem0's names (`memory_id`, `old_memory`, `new_memory`, `created_at`). */
export function toWireHistoryEntry(entry: HistoryEntry) {
  return {
    id: entry.id,
    memory_id: entry.memoryId,
    event: entry.event,
    old_memory: entry.oldMemory,
    new_memory: entry.newMemory,
    old_metadata: entry.oldMetadata,
    new_metadata: entry.newMetadata,
    actor: entry.actor,
    reason: entry.reason,
    created_at: entry.createdAt,
  };
}

/** A queued add (`GET /jobs/:id`): its state, and when done the add's results as `POST /memories` answers them. */
export function toWireJob(job: Job) {
  return {
    id: job.id,
    status: job.status,
    kind: job.kind,
    user_id: job.userId,
    agent_id: job.agentId,
    run_id: job.runId,
    message_ids: job.messageIds,
    attempts: job.attempts,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt,
    retry_at: job.retryAt,
    worker: job.worker,
    error: job.error,
    results: job.results?.map(toWireEvent),
    dropped_operations: job.droppedOperations,
  };
}

/** An entity of the graph (`GET /graph/entities`), snake_case as the memories are. */
export function toWireEntity(entity: Entity) {
  return {
    id: entity.id,
    name: entity.name,
    type: entity.type,
    aliases: entity.aliases,
    user_id: entity.userId,
    agent_id: entity.agentId,
    run_id: entity.runId,
    created_at: entity.createdAt,
    updated_at: entity.updatedAt,
  };
}

/** A relation with both ends named and both time axes: when it was true (valid_*), when Engram recorded and retired it. */
export function toWireRelation(relation: Relation) {
  return {
    id: relation.id,
    source: { id: relation.source.id, name: relation.source.name },
    relation: relation.relation,
    target: { id: relation.target.id, name: relation.target.name },
    valid_from: relation.validFrom,
    valid_to: relation.validTo,
    recorded_at: relation.recordedAt,
    retired_at: relation.retiredAt,
    memory_id: relation.memoryId,
    message_ids: relation.messageIds,
    user_id: relation.userId,
    agent_id: relation.agentId,
    run_id: relation.runId,
  };
}

/** `GET /graph/neighbours/:entity`: the entity, those reached (with `distance`), and the relations walked. */
export function toWireNeighbourhood(found: Neighbourhood) {
  return {
    entity: toWireEntity(found.entity),
    entities: found.entities.map((entity) => ({ ...toWireEntity(entity), distance: entity.distance })),
    relations: found.relations.map(toWireRelation),
  };
}

/** A policy as the REST API answers it: snake_case, like every answer. */
export function toWirePolicy(policy: Policy | null) {
  if (policy === null) return null;
  const { expireAfterDays, trackAccess, ...rest } = policy;
  return { ...rest, ...(expireAfterDays === undefined ? {} : { expire_after_days: expireAfterDays }), ...(trackAccess === undefined ? {} : { track_access: trackAccess }) };
}
