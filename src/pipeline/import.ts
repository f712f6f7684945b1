import { embedChecked, type Embedder } from '../embed/embedder.js';
import { EngramError } from '../errors.js';
import { ExportRecordSchema, type ExportEntity, type ExportJob, type ExportMemory, type ExportMessage, type ExportPolicy, type ExportRelation } from '../export-format.js';
import { normalizeEntityName } from '../graph/entity-linker.js';
import type { Scope } from '../schema.js';
import { USER_KEY } from './graph/entity-resolver.js';
import type { Storage, StorageTransaction } from '../storage/storage.js';
import { isWholeStore, scopeKey, scopeOf } from '../scope.js';
import { scopedPolicyProblem } from '../policy.js';
import { textHash } from '../text-hash.js';

export type ImportProgress = { phase: 'reading' | 'messages' | 'memories'; done: number; total: number };
export type ImportResult = {
  /**
   * Policies, the store's and the scopes' (a user's, agent's, run's): each
   * added when the target had none for that scope; skipped when it has one
   * (the target's stands).
   */
  policy: { added: number; skipped: number };
  memories: { added: number; skipped: number };
  messages: { added: number; skipped: number };
  /** Queued adds still to do; the importing store's worker applies them. */
  jobs: { added: number; skipped: number };
  /** The entity graph: an entity whose name its scope already has is skipped (the one there is kept). */
  entities: { added: number; skipped: number };
  relations: { added: number; skipped: number };
};

/** Memories embedded and written per transaction: a crash loses at most one batch, and a re-run skips what landed. */
const BATCH = 200;
const MAX_REPORTED_ERRORS = 20;

/**
 * Imports Engram's JSON Lines export. Every line is validated first (errors
 * name their line numbers, and nothing is written if any line is bad). Then
 * messages and memories are written in batches, each one transaction. Import
 * is idempotent: a memory whose id exists, a memory whose current text is
 * already current in its scope, and a message already logged are skipped, so
 * importing twice adds nothing and an interrupted import can simply be re-run.
 */
export async function importLines(
  storage: Storage,
  embedder: Embedder,
  lines: Iterable<string> | AsyncIterable<string> | string,
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportResult> {
  const { policies, messages, memories, jobs, entities, relations } = await readRecords(lines, onProgress);
  const result: ImportResult = {
    policy: { added: 0, skipped: 0 },
    memories: { added: 0, skipped: 0 },
    messages: { added: 0, skipped: 0 },
    jobs: { added: 0, skipped: 0 },
    entities: { added: 0, skipped: 0 },
    relations: { added: 0, skipped: 0 },
  };

  // Policies first: a store restored from a backup must not take a message before its deny rules.
  for (const record of policies) {
    const scope = scopeOf(record);
    const added = await storage.transaction('write', 'importing a policy', async (tx) => {
      if ((await tx.policy(scope)) !== undefined) return false;
      await tx.setPolicy(JSON.stringify(record.policy), scope);
      return true;
    });
    result.policy[added ? 'added' : 'skipped'] += 1;
  }

  const messageIds = new Map<number, number>();
  // A transaction's work may run again (PostgreSQL retries serialization failures): it only returns what it did.
  const occurrences = occurrenceOfEach(messages);
  for (let start = 0; start < messages.length; start += BATCH) {
    const batch = messages.slice(start, start + BATCH);
    const logged = await storage.transaction('write', 'importing messages', async (tx) => {
      const done: { id: number; added: boolean }[] = [];
      for (const [i, message] of batch.entries()) done.push(await tx.importMessage(message, occurrences[start + i] as number));
      return done;
    });
    logged.forEach(({ id, added }, i) => {
      messageIds.set((batch[i] as ExportMessage).id, id);
      result.messages[added ? 'added' : 'skipped'] += 1;
    });
    onProgress?.({ phase: 'messages', done: Math.min(messages.length, start + BATCH), total: messages.length });
  }

  for (let start = 0; start < memories.length; start += BATCH) {
    const slice = memories.slice(start, start + BATCH);
    const known = await storage.transaction('read', 'reading memories', async (tx) => {
      const found = new Set<string>();
      for (const m of slice) if (await tx.hasMemory(m.id)) found.add(m.id);
      return found;
    });
    const batch = slice.filter((m) => !known.has(m.id));
    result.memories.skipped += slice.length - batch.length;
    const texts = batch.flatMap((m) => m.versions.map((v) => v.memory));
    const vectors = await embedChecked(embedder, texts);
    const added = await storage.transaction('write', 'importing memories', async (tx) => {
      let next = 0;
      let count = 0;
      for (const memory of batch) {
        const own = vectors.slice(next, next + memory.versions.length);
        next += memory.versions.length;
        if (await tx.importMemory(remapSources(memory, messageIds), memory.versions.map((v) => textHash(v.memory)), own)) count += 1;
      }
      return count;
    });
    result.memories.added += added;
    result.memories.skipped += batch.length - added;
    onProgress?.({ phase: 'memories', done: Math.min(memories.length, start + BATCH), total: memories.length });
  }

  const entityIds = new Map<string, string>();
  for (let start = 0; start < entities.length; start += BATCH) {
    const batch = entities.slice(start, start + BATCH);
    const vectors = await embedChecked(
      embedder,
      batch.map((e) => e.name),
    );
    const done = await storage.transaction('write', 'importing entities', async (tx) => {
      const ids: [string, string, boolean][] = [];
      for (const [i, entity] of batch.entries()) {
        const { id, added } = await importEntity(tx, entity, vectors[i] as Float32Array);
        ids.push([entity.id, id, added]);
      }
      return ids;
    });
    for (const [from, to, added] of done) {
      entityIds.set(from, to);
      result.entities[added ? 'added' : 'skipped'] += 1;
    }
  }
  for (let start = 0; start < relations.length; start += BATCH) {
    const batch = relations.slice(start, start + BATCH);
    const added = await storage.transaction('write', 'importing relations', async (tx) => {
      let count = 0;
      for (const relation of batch) if (await importRelation(tx, relation, entityIds, messageIds)) count += 1;
      return count;
    });
    result.relations.added += added;
    result.relations.skipped += batch.length - added;
  }

  for (let start = 0; start < jobs.length; start += BATCH) {
    const batch = jobs.slice(start, start + BATCH);
    const added = await storage.transaction('write', 'importing queued adds', async (tx) => {
      let count = 0;
      for (const job of batch) if (await importJob(tx, job, messageIds)) count += 1;
      return count;
    });
    result.jobs.added += added;
    result.jobs.skipped += batch.length - added;
  }
  return result;
}

/**
 * Stores an exported entity unless its id is known or its exact scope already has an entity of that name
 * (then that one stands for it); links it to the memories of the import that name it and landed here.
 */
async function importEntity(tx: StorageTransaction, entity: ExportEntity, vector: Float32Array): Promise<{ id: string; added: boolean }> {
  const scope = scopeOf(entity);
  const key = entity.entityType === 'user' ? USER_KEY : normalizeEntityName(entity.name);
  const [known] = await tx.entitiesById([entity.id]);
  const same = known ?? (await tx.entities(scope, { exactScope: true })).find((e) => e.key === key);
  const id = same?.id ?? entity.id;
  if (!same) {
    await tx.insertEntity({
      id,
      scope,
      name: entity.name,
      key,
      type: entity.entityType,
      aliases: entity.aliases,
      embedding: vector,
      createdAt: Date.parse(entity.createdAt),
      updatedAt: Date.parse(entity.updatedAt),
    });
  }
  const landed: string[] = [];
  for (const memoryId of entity.memoryIds) if (sameScope((await tx.scopeOfMemory(memoryId)) ?? {}, scope)) landed.push(memoryId);
  const mentions = await tx.mentions(landed);
  for (const memoryId of landed) {
    const named = mentions.get(memoryId) ?? [];
    if (!named.includes(id)) await tx.setMentions(memoryId, [...named, id]);
  }
  return { id, added: !same };
}

/** Stores an exported relation between the entities its ends became here, unless it is known already. */
async function importRelation(tx: StorageTransaction, relation: ExportRelation, entityIds: Map<string, string>, messageIds: Map<number, number>): Promise<boolean> {
  const sourceId = entityIds.get(relation.source) as string;
  const targetId = entityIds.get(relation.target) as string;
  if (sourceId === targetId) return false;
  const scope = scopeOf(relation);
  const validFrom = Date.parse(relation.validFrom);
  const recordedAt = Date.parse(relation.recordedAt);
  const existing = await tx.relations(scope, { entityId: sourceId, includeRetired: true });
  const known = existing.some(
    (r) => r.id === relation.id || (r.sourceId === sourceId && r.relation === relation.relation && r.targetId === targetId && r.validFrom === validFrom && r.recordedAt === recordedAt),
  );
  if (known) return false;
  const memoryId = relation.memoryId !== undefined && sameScope((await tx.scopeOfMemory(relation.memoryId)) ?? {}, scope) ? relation.memoryId : null;
  await tx.insertRelation({
    id: relation.id,
    scope,
    sourceId,
    relation: relation.relation,
    targetId,
    validFrom,
    validTo: relation.validTo === undefined ? null : Date.parse(relation.validTo),
    recordedAt,
    retiredAt: relation.retiredAt === undefined ? null : Date.parse(relation.retiredAt),
    memoryId,
    messageIds: relation.messageIds.flatMap((id) => (messageIds.has(id) ? [messageIds.get(id) as number] : [])),
  });
  return true;
}

/** Whether two scopes are exactly the same. */
function sameScope(a: Scope, b: Scope): boolean {
  return a.userId === b.userId && a.agentId === b.agentId && a.runId === b.runId;
}

/** Queues an exported add again (in this store, its messages have the ids they were logged under here), unless its id is known. */
async function importJob(tx: StorageTransaction, job: ExportJob, messageIds: Map<number, number>): Promise<boolean> {
  if (await tx.job(job.id)) return false;
  const createdAt = Date.parse(job.createdAt);
  const scope = scopeOf(job);
  await tx.insertJob({ id: job.id, scope, kind: job.kind, messageIds: job.messageIds.map((id) => messageIds.get(id) as number), metadata: job.metadata, createdAt, expiresAt: job.expiresAt === undefined ? null : Date.parse(job.expiresAt) });
  if (job.status === 'failed' || job.attempts > 0 || job.error) {
    const now = Date.now();
    await tx.updateJob(job.id, { status: job.status, attempts: job.attempts, error: job.error ?? null, finishedAt: job.status === 'failed' ? now : null, updatedAt: now });
  }
  return true;
}

/** For each message, how many equal messages (all but id and addedAt) came before it in the import. */
function occurrenceOfEach(messages: readonly ExportMessage[]): number[] {
  const seen = new Map<string, number>();
  return messages.map((message) => {
    const { id: _id, addedAt: _addedAt, type: _type, ...same } = message;
    const key = JSON.stringify(same);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return occurrence;
  });
}

/** The lines of an import: an iterable (or async iterable) of strings, or one string of JSON Lines. */
function asLines(lines: unknown): Iterable<unknown> | AsyncIterable<unknown> {
  if (typeof lines === 'string') return lines.split('\n');
  if (typeof lines === 'object' && lines !== null && (Symbol.iterator in lines || Symbol.asyncIterator in lines)) {
    return lines as Iterable<unknown> | AsyncIterable<unknown>;
  }
  throw new EngramError('INVALID_INPUT', 'import needs the lines of an export: an array or (async) iterable of strings, or one string');
}

async function readRecords(input: unknown, onProgress?: (progress: ImportProgress) => void) {
  const messages: ExportMessage[] = [];
  const memories: ExportMemory[] = [];
  const jobs: ExportJob[] = [];
  const entities: ExportEntity[] = [];
  const relations: ExportRelation[] = [];
  const policies: ExportPolicy[] = [];
  const policyScopes = new Set<string>();
  const errors: string[] = [];
  let lineNumber = 0;
  for await (const line of asLines(input)) {
    lineNumber += 1;
    if (typeof line !== 'string') {
      errors.push(`line ${lineNumber}: not a string`);
      continue;
    }
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      errors.push(`line ${lineNumber}: not JSON`);
      continue;
    }
    const parsed = ExportRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      errors.push(`line ${lineNumber}: ${issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid record'}`);
      continue;
    }
    if (parsed.data.type === 'policy') {
      const scope = scopeOf(parsed.data);
      const problem = scopedPolicyProblem(parsed.data.policy, scope);
      if (policyScopes.has(scopeKey(scope))) errors.push(`line ${lineNumber}: a second policy record for ${isWholeStore(scope) ? 'the store' : 'this scope'}`);
      else if (problem) errors.push(`line ${lineNumber}: ${problem}`);
      policyScopes.add(scopeKey(scope));
      policies.push(parsed.data);
    } else if (parsed.data.type === 'message') messages.push(parsed.data);
    else if (parsed.data.type === 'memory') memories.push(parsed.data);
    else if (parsed.data.type === 'job') jobs.push(parsed.data);
    else if (parsed.data.type === 'entity') entities.push(parsed.data);
    else if (parsed.data.type === 'relation') relations.push(parsed.data);
    if (lineNumber % 1000 === 0) onProgress?.({ phase: 'reading', done: lineNumber, total: 0 });
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_REPORTED_ERRORS).join('; ');
    const more = errors.length > MAX_REPORTED_ERRORS ? `; and ${errors.length - MAX_REPORTED_ERRORS} more` : '';
    throw new EngramError('INVALID_INPUT', `the import has ${errors.length} invalid line(s), nothing was imported: ${shown}${more}`, {
      details: { errors },
    });
  }
  const ids = new Set<string>();
  for (const memory of memories) {
    if (ids.has(memory.id)) throw new EngramError('INVALID_INPUT', `the import holds memory ${memory.id} twice; nothing was imported`);
    ids.add(memory.id);
  }
  const logged = new Map(messages.map((m) => [m.id, m]));
  for (const job of jobs) {
    for (const id of job.messageIds) {
      const message = logged.get(id);
      if (!message) throw new EngramError('INVALID_INPUT', `queued add ${job.id} refers to message ${id}, which the import does not hold; nothing was imported`);
      if (message.userId !== job.userId || message.agentId !== job.agentId || message.runId !== job.runId) {
        throw new EngramError('INVALID_INPUT', `queued add ${job.id} refers to message ${id} of another scope; nothing was imported`);
      }
    }
  }
  checkGraph(entities, relations);
  return { policies, messages, memories, jobs, entities, relations };
}

/** Every relation links two entities of the import in its own exact scope; no exact scope names one entity twice. */
function checkGraph(entities: readonly ExportEntity[], relations: readonly ExportRelation[]): void {
  const byId = new Map<string, ExportEntity>();
  const keys = new Set<string>();
  for (const entity of entities) {
    if (byId.has(entity.id)) throw new EngramError('INVALID_INPUT', `the import holds entity ${entity.id} twice; nothing was imported`);
    byId.set(entity.id, entity);
    const key = JSON.stringify([entity.userId, entity.agentId, entity.runId, entity.entityType === 'user' ? USER_KEY : normalizeEntityName(entity.name)]);
    if (keys.has(key)) throw new EngramError('INVALID_INPUT', `the import names entity "${entity.name}" twice in one scope; nothing was imported`);
    keys.add(key);
  }
  for (const relation of relations) {
    for (const end of [relation.source, relation.target]) {
      const entity = byId.get(end);
      if (!entity) throw new EngramError('INVALID_INPUT', `relation ${relation.id} refers to entity ${end}, which the import does not hold; nothing was imported`);
      if (entity.userId !== relation.userId || entity.agentId !== relation.agentId || entity.runId !== relation.runId) {
        throw new EngramError('INVALID_INPUT', `relation ${relation.id} links entity ${end} of another scope; nothing was imported`);
      }
    }
  }
}

/** Provenance points at message ids of the exporting file; in this file those messages may have other ids. */
function remapSources(memory: ExportMemory, messageIds: Map<number, number>): ExportMemory {
  return {
    ...memory,
    versions: memory.versions.map((v) => {
      const ids = v.source?.messageIds;
      if (!Array.isArray(ids)) return v;
      return { ...v, source: { ...v.source, messageIds: ids.map((id) => (typeof id === 'number' ? (messageIds.get(id) ?? id) : id)) } };
    }),
  };
}
