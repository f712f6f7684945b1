import type { ExportMemory, ExportMessage } from '../../export-format.js';
import type { FilterNode } from '../../filter.js';
import type { HistoryEntry, MemoryItem, Scope } from '../../schema.js';
import type { EntityChange, EntityRecord, RelationQuery, RelationRecord } from '../../storage/graph-records.js';
import type { JobChange, JobCounts, JobRecord, JobStatus, NewJob } from '../../storage/job-records.js';
import type { Adjacent, AdjacencyOptions, ErasedCounts, HistoryActor, NewMemory, NewMessage, ReadOptions, Revision, StorageTransaction, StoredMessage } from '../../storage/storage.js';
import { scopeOwnerPage, scopeOwnersSql, type ScopeOwnerPage } from '../../storage/scope-owners.js';
import { adjacentMemories } from './adjacent-memories.js';
import * as entities from './entities.js';
import { eraseMemories } from './erase.js';
import { lastAccess, recordAccess } from './memory-use.js';
import * as policies from './policies.js';
import { appendHistory, historyOf } from './history.js';
import * as jobs from './jobs.js';
import * as memories from './memories.js';
import * as mentions from './mentions.js';
import * as messages from './messages.js';
import { insertImportedMemory } from './portable.js';
import { clearAll, type PurgeCounts, purgeScope } from './purge.js';
import * as relations from './relations.js';
import { json, type MemoryRow, num, toHistoryEntry, toMemoryItem } from './rows.js';
import { scopeOfRow } from '../../scope.js';
import { nearest } from './search.js';
import type { SqlQueryable } from './sql-client.js';

/**
 * The port's repositories on one open PostgreSQL transaction. `beforeVectorSearch`
 * re-checks the embedding binding (see PostgresStorage).
 */
export class PostgresTransaction implements StorageTransaction {
  /** Memory versions this transaction inserted (see PostgresStorage.keepStatisticsFresh). */
  inserted = 0;

  constructor(
    private readonly sql: SqlQueryable,
    private readonly beforeVectorSearch: (sql: SqlQueryable) => Promise<void>,
  ) {}

  // ---- memories: reads ----

  async memory(id: string, options: ReadOptions = {}): Promise<MemoryItem | undefined> {
    const row = await memories.visibleMemoryById(this.sql, id, options.at);
    return row && toMemoryItem(row);
  }

  async scopeOfMemory(id: string): Promise<Scope | undefined> {
    const row = await memories.latestVersionById(this.sql, id);
    return row && scopeOfRow(row);
  }

  async currentMemoryByHash(scope: Scope, hash: string): Promise<MemoryItem | undefined> {
    const row = await memories.currentMemoryByHash(this.sql, scope, hash);
    return row && toMemoryItem(row);
  }

  async list(scope: Scope, options: { filter?: FilterNode | undefined; limit: number; offset: number; at?: number | undefined }): Promise<MemoryItem[]> {
    return (await memories.listMemories(this.sql, scope, options)).map(toMemoryItem);
  }

  policy(scope?: Scope): Promise<string | undefined> {
    return policies.readPolicy(this.sql, scope);
  }

  setPolicy(json: string | undefined, scope?: Scope): Promise<void> {
    return policies.writePolicy(this.sql, json, scope, Date.now());
  }

  scopePolicies(scope?: Scope): Promise<{ scope: Scope; json: string }[]> {
    return policies.scopePolicies(this.sql, scope);
  }

  countCurrent(scope: Scope): Promise<number> {
    return memories.countCurrent(this.sql, scope);
  }

  count(scope: Scope, options: { filter?: FilterNode | undefined; at?: number | undefined }): Promise<number> {
    return memories.countMemories(this.sql, scope, options);
  }

  scopeOwners({ limit, offset }: { limit: number; offset: number }): Promise<ScopeOwnerPage> {
    const sql = scopeOwnersSql((i) => `$${i}`);
    return scopeOwnerPage((l, o) => this.sql.query(sql, [l, o]), limit, offset);
  }

  currentIds(scope: Scope): Promise<string[]> {
    return memories.currentIds(this.sql, scope);
  }

  async nearest(vector: Float32Array, k: number, scope: Scope, options: { exactScope?: boolean } = {}): Promise<{ item: MemoryItem; cosine: number }[]> {
    await this.beforeVectorSearch(this.sql);
    return nearest(this.sql, vector, k, scope, options.exactScope ?? false);
  }

  adjacentMemories(ids: readonly string[], options: AdjacencyOptions): Promise<Map<string, Adjacent>> {
    return adjacentMemories(this.sql, ids, options);
  }

  sourceMessages(ids: readonly string[], at?: number): Promise<Map<string, StoredMessage[]>> {
    return messages.sourceMessages(this.sql, ids, at);
  }

  async history(id: string): Promise<HistoryEntry[]> {
    return (await historyOf(this.sql, id)).map(toHistoryEntry);
  }

  // ---- memories: writes ----

  /**
   * Inserts version 1 and its ADD. If another connection committed the same
   * text in exactly this scope after this transaction looked (the
   * memories_current_hash index refuses the row), the whole transaction is
   * re-run by PostgresStorage.transaction, and its currentMemoryByHash then
   * finds that memory, as a serialized SQLite writer would have. The same
   * text expired but still open there is closed first (see closeExpiredText).
   */
  async insertMemory(memory: NewMemory, at: number, actor: HistoryActor): Promise<MemoryItem> {
    this.inserted += 1;
    await this.closeExpiredText(memory.scope, memory.hash, at);
    const row = await memories.insertVersion(this.sql, {
      id: memory.id,
      version: 1,
      text: memory.text,
      hash: memory.hash,
      kind: memory.kind,
      scope: memory.scope,
      metadata: memory.metadata,
      createdAt: at,
      updatedAt: at,
      validFrom: memory.validFrom,
      validTo: null,
      source: memory.source,
      expiresAt: memory.expiresAt ?? null,
      embedding: memory.embedding,
    });
    await appendHistory(this.sql, {
      memoryId: memory.id,
      event: 'ADD',
      oldText: null,
      newText: memory.text,
      oldMetadata: null,
      newMetadata: memory.metadata,
      actor,
      reason: null,
      createdAt: at,
    });
    return toMemoryItem(row);
  }

  /**
   * Closes the current version and adds the next (same id, kind, scope and
   * created_at). The new version starts at max(validFrom, the old start): a
   * version cannot end before it began. Without a new embedding the old
   * vector is copied inside PostgreSQL. An expired memory is no longer
   * current; another memory's expired version of the new text is closed first
   * (as insertMemory does), or the memories_current_hash index would refuse
   * the new version.
   */
  async reviseMemory(id: string, revision: Revision, at: number, actor: HistoryActor, reason?: string): Promise<MemoryItem | undefined> {
    this.inserted += 1;
    const current = await memories.lockCurrentVersion(this.sql, id);
    if (!current) return undefined;
    if (!revision.embedding && !current.has_vector) throw new Error(`memory ${id} has no vector`); // verify() reports this state; never expected
    const switchAt = Math.max(revision.validFrom, num(current.valid_from));
    await memories.closeVersion(this.sql, current.seq, switchAt);
    if (revision.hash !== current.hash) await this.closeExpiredText(scopeOfRow(current), revision.hash, at);
    const row = await memories.insertVersion(this.sql, {
      id,
      version: current.version + 1,
      text: revision.text,
      hash: revision.hash,
      kind: current.kind,
      scope: scopeOfRow(current),
      metadata: revision.metadata,
      createdAt: num(current.created_at),
      updatedAt: at,
      validFrom: switchAt,
      validTo: null,
      source: revision.source === undefined ? current.source : revision.source,
      expiresAt: revision.expiresAt === undefined ? nullableNum(current.expires_at) : revision.expiresAt,
      embedding: revision.embedding ?? { sameAs: current.seq },
    });
    await appendHistory(this.sql, {
      memoryId: id,
      event: 'UPDATE',
      oldText: current.text,
      newText: revision.text,
      oldMetadata: json(current.metadata),
      newMetadata: revision.metadata,
      actor,
      reason: reason ?? null,
      createdAt: at,
    });
    return toMemoryItem(row);
  }

  async closeMemory(id: string, at: number, actor: HistoryActor, reason?: string, validTo: number = at): Promise<boolean> {
    const current = await memories.lockCurrentVersion(this.sql, id);
    if (!current) return false;
    await memories.closeVersion(this.sql, current.seq, Math.max(validTo, num(current.valid_from)));
    await this.appendDelete(current, at, actor, reason);
    return true;
  }

  /**
   * Closes the version of this text in exactly this scope that expired but is
   * still open (it ends where it expired), with a DELETE by 'api', "expired",
   * at `at`: the text may then be stored again (see the port's "Expiry").
   */
  private async closeExpiredText(scope: Scope, hash: string, at: number): Promise<void> {
    const expired = await memories.closeExpiredVersion(this.sql, scope, hash, Date.now());
    if (expired) await this.appendDelete(expired, at, 'api', 'expired');
  }

  private async appendDelete(closed: MemoryRow, at: number, actor: HistoryActor, reason: string | undefined): Promise<void> {
    await appendHistory(this.sql, {
      memoryId: closed.id,
      event: 'DELETE',
      oldText: closed.text,
      newText: null,
      oldMetadata: json(closed.metadata),
      newMetadata: null,
      actor,
      reason: reason ?? null,
      createdAt: at,
    });
  }

  // ---- expiry ----

  expiredMemoryIds(now: number, scope?: Scope): Promise<string[]> {
    return memories.expiredMemoryIds(this.sql, now, scope);
  }

  eraseMemories(ids: readonly string[]): Promise<ErasedCounts> {
    return eraseMemories(this.sql, ids);
  }

  // ---- use ----

  recordAccess(ids: readonly string[], at: number): Promise<void> {
    return recordAccess(this.sql, ids, at);
  }

  lastAccess(ids: readonly string[]): Promise<Map<string, number>> {
    return lastAccess(this.sql, ids);
  }

  // ---- messages ----

  appendMessages(scope: Scope, list: readonly NewMessage[], at: number): Promise<number[]> {
    return messages.appendMessages(this.sql, scope, list, at);
  }

  recentMessages(scope: Scope, limit: number, beforeId?: number): Promise<StoredMessage[]> {
    return messages.recentMessages(this.sql, scope, limit, beforeId);
  }

  messagesById(ids: readonly number[]): Promise<StoredMessage[]> {
    return messages.messagesById(this.sql, ids);
  }

  deleteMessages(ids: readonly number[]): Promise<void> {
    return messages.deleteMessages(this.sql, ids);
  }

  // ---- jobs (the extraction queue) ----

  insertJob(job: NewJob): Promise<void> {
    return jobs.insertJob(this.sql, job);
  }

  job(id: string): Promise<JobRecord | undefined> {
    return jobs.findJob(this.sql, id);
  }

  jobHeads(limit: number, scope?: Scope): Promise<JobRecord[]> {
    return jobs.jobHeads(this.sql, limit, scope);
  }

  unfinishedJobs(scope: Scope, limit: number): Promise<JobRecord[]> {
    return jobs.unfinishedJobs(this.sql, scope, limit);
  }

  listJobs(options: { scope?: Scope | undefined; status?: readonly JobStatus[] | undefined; limit: number; offset: number }): Promise<JobRecord[]> {
    return jobs.listJobs(this.sql, options);
  }

  jobCounts(scope?: Scope): Promise<JobCounts> {
    return jobs.jobCounts(this.sql, scope);
  }

  updateJob(id: string, change: JobChange): Promise<void> {
    return jobs.updateJob(this.sql, id, change);
  }

  deleteJob(id: string): Promise<boolean> {
    return jobs.deleteJob(this.sql, id);
  }

  pruneJobs(finishedBefore: number): Promise<number> {
    return jobs.pruneJobs(this.sql, finishedBefore);
  }

  // ---- the entity graph ----

  entities(scope: Scope, options: { exactScope?: boolean | undefined } = {}): Promise<EntityRecord[]> {
    return entities.entitiesOf(this.sql, scope, options.exactScope ?? false);
  }

  entitiesById(ids: readonly string[]): Promise<EntityRecord[]> {
    return entities.entitiesById(this.sql, ids);
  }

  insertEntity(entity: EntityRecord): Promise<void> {
    return entities.insertEntity(this.sql, entity);
  }

  updateEntity(id: string, change: EntityChange): Promise<void> {
    return entities.updateEntity(this.sql, id, change);
  }

  mergeEntity(id: string, into: string): Promise<void> {
    return entities.mergeEntity(this.sql, id, into);
  }

  relations(scope: Scope, query: RelationQuery = {}): Promise<RelationRecord[]> {
    return relations.relationsOf(this.sql, scope, query);
  }

  insertRelation(relation: RelationRecord): Promise<void> {
    return relations.insertRelation(this.sql, relation);
  }

  retireRelation(id: string, at: number, validTo: number): Promise<boolean> {
    return relations.retireRelation(this.sql, id, at, validTo);
  }

  setMentions(memoryId: string, entityIds: readonly string[]): Promise<void> {
    return mentions.setMentions(this.sql, memoryId, entityIds);
  }

  mentions(memoryIds: readonly string[]): Promise<Map<string, string[]>> {
    return mentions.mentionsOf(this.sql, memoryIds);
  }

  mentionCounts(entityIds: readonly string[]): Promise<Map<string, number>> {
    return mentions.mentionCounts(this.sql, entityIds);
  }

  memoriesMentioning(entityIds: readonly string[], limit: number): Promise<{ memoryId: string; count: number }[]> {
    return mentions.memoriesMentioning(this.sql, entityIds, limit);
  }

  // ---- every record type ----

  purge(scope: Scope): Promise<PurgeCounts> {
    return purgeScope(this.sql, scope);
  }

  clear(): Promise<void> {
    return clearAll(this.sql);
  }

  hasMemory(id: string): Promise<boolean> {
    return memories.hasMemory(this.sql, id);
  }

  async importMessage(message: ExportMessage, occurrence: number): Promise<{ id: number; added: boolean }> {
    const existing = await messages.findMessage(this.sql, message, occurrence);
    if (existing !== undefined) return { id: existing, added: false };
    return { id: await messages.insertImportedMessage(this.sql, message), added: true };
  }

  /** Writes an imported memory with all its versions, unless its id exists or its current text is current in its exact scope. */
  async importMemory(memory: ExportMemory, hashes: string[], vectors: Float32Array[]): Promise<boolean> {
    if (await this.hasMemory(memory.id)) return false;
    const last = memory.versions.at(-1);
    const scope: Scope = {};
    if (memory.userId !== undefined) scope.userId = memory.userId;
    if (memory.agentId !== undefined) scope.agentId = memory.agentId;
    if (memory.runId !== undefined) scope.runId = memory.runId;
    if (last && last.validTo === undefined && !(await this.makeRoomForImport(scope, hashes.at(-1) as string, last.expiresAt))) return false;
    await insertImportedMemory(this.sql, memory, hashes, vectors);
    this.inserted += memory.versions.length;
    return true;
  }

  /**
   * Whether an imported memory whose last version is open may hold that text
   * in its exact scope: not while the text is current there, nor (when the
   * imported version has expired already) while any version of it is open
   * there. An open but expired one is closed first, as insertMemory does.
   */
  private async makeRoomForImport(scope: Scope, hash: string, expiresAt: string | undefined): Promise<boolean> {
    if (await memories.currentMemoryByHash(this.sql, scope, hash)) return false;
    const now = Date.now();
    if (expiresAt !== undefined && Date.parse(expiresAt) <= now) return (await memories.openVersionByHash(this.sql, scope, hash)) === undefined;
    await this.closeExpiredText(scope, hash, now);
    return true;
  }
}

/** A nullable BIGINT, whichever way the driver returned it. */
const nullableNum = (value: number | string | null): number | null => (value === null ? null : num(value));
