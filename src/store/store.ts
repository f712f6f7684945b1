import { eraseMemories, expiredMemoryIds } from './erase-memories.js';
import { lastAccess, recordAccess } from './memory-use.js';
import * as policies from './policies.js';
import { scopeOwnerPage, scopeOwnersSql, type ScopeOwnerPage } from '../storage/scope-owners.js';
import { EngramError } from '../errors.js';
import { EXPORT_FORMAT_VERSION, type ExportMemory, type ExportMessage, type ExportRecord } from '../export-format.js';
import type { FilterNode } from '../filter.js';
import type { KeywordQuery } from './fts-query.js';
import type { HistoryEntry, MemoryItem, MemoryKind, Scope } from '../schema.js';
import type { HistoryActor } from './history.js';
import type { Adjacent, AdjacencyOptions, ErasedCounts, NewMemory, Revision } from '../storage/storage.js';
import type { VectorHit } from './vectors.js';
import { openDatabase, type Database } from './database.js';
import { compileFilter } from './filter-sql.js';
import { appendHistory, historyOf } from './history.js';
import * as memories from './memories.js';
import { toHistoryEntry, toMemoryItem } from './memory-item.js';
import { adjacentRows, storedAsSaid } from './adjacent-memories.js';
import { appendMessages, recentMessages, type MessageRow, type NewMessageRow } from './messages.js';
import { META_KEYS, readMeta } from './meta.js';
import { exportMemoryPage, exportMessagePage, findMessage, insertImportedMemory, insertImportedMessage } from './portable.js';
import { clearAll, purgeScope, type PurgeCounts } from './purge.js';
import * as reindex from './reindex.js';
import { isInScope } from '../scope.js';
import { scopeColumns, scopeWhere } from './scope-sql.js';
import { scopeOfRow } from '../scope.js';
import { searchCandidates, type Candidates } from './search-candidates.js';
import { DEFAULT_SEARCH_INDEX_OPTIONS, SearchIndexes } from './search-indexes.js';
import { ExclusiveAccess } from './exclusive-access.js';
import { FileLease } from './file-lease.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { toEngramError } from './sqlite-errors.js';
import { verifyInvariants } from './verify.js';
import * as vectors from './vectors.js';

export type { NewMemory, Revision } from '../storage/storage.js';

export type ReadOptions = { at?: number | undefined };

export type StoreOptions = {
  path: string;
  /** Create the file when missing (default); false: FILE_NOT_FOUND instead. */
  create?: boolean | undefined;
  busyTimeoutMs: number;
  encryptionKey?: string | undefined;
  /** Budget of the in-memory search indexes (see search-indexes.ts). */
  searchIndexBytes?: number | undefined;
};

/**
 * The one SQLite file behind a Memory. Reads are plain calls; writes happen
 * inside `write`, one IMMEDIATE transaction, so a change lands whole or not at
 * all. The store never calls a model: embeddings arrive ready.
 *
 * A memory is a chain of versions sharing one id: a change closes the current
 * version (valid_to) and adds the next, so nothing true is ever overwritten.
 */
export class Store {
  /** In-memory keyword and vector indexes of the searched scopes (see search-indexes.ts). */
  private readonly indexes: SearchIndexes;

  /** The embedding model this connection writes and searches with (see bindEmbeddingModel). */
  private binding: { id: string; dimension: number } | undefined;
  /** PRAGMA data_version when the binding was last found unchanged in the file. */
  private bindingCheckedAt: number | undefined;
  private readonly dataVersion;
  private readonly statements;

  private constructor(
    private readonly db: Database,
    searchIndexBytes: number | undefined,
    private readonly onClose: () => void = () => db.close(),
  ) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    // Prepared once, as better-sqlite3's own transactions do: exec() would parse them on every call.
    this.statements = { beginWrite: db.prepare('BEGIN IMMEDIATE'), beginRead: db.prepare('BEGIN'), commit: db.prepare('COMMIT') };
    this.indexes = new SearchIndexes(db, { ...DEFAULT_SEARCH_INDEX_OPTIONS, ...(searchIndexBytes === undefined ? {} : { budgetBytes: searchIndexBytes }) });
  }

  /** Opens the file under a shared lease (see FileLease): running maintenance is waited for, never raced. */
  static open(options: StoreOptions): Store {
    if (options.create === false && options.path !== ':memory:' && !existsSync(options.path)) {
      throw new EngramError('FILE_NOT_FOUND', `no database at ${resolve(options.path)} (nothing was created)`);
    }
    const lease = options.path === ':memory:' ? undefined : FileLease.shared(resolve(options.path), options.busyTimeoutMs);
    try {
      const db = openDatabase(options);
      return new Store(db, options.searchIndexBytes, () => {
        db.close();
        lease?.release();
      });
    } catch (error) {
      lease?.release();
      throw error;
    }
  }

  /**
   * The store on a connection that has the file to itself (see ExclusiveAccess):
   * FILE_IN_USE while any other connection has it open. For maintenance that
   * must not race a live writer.
   */
  static openExclusive(options: { path: string; encryptionKey?: string | undefined; doing: string }): Store {
    const hold = ExclusiveAccess.acquire({ path: options.path, key: options.encryptionKey, doing: options.doing });
    return new Store(hold.db, undefined, () => hold.release());
  }

  close(): void {
    this.indexes.clear();
    if (this.db.open) this.onClose();
  }

  /** Runs `work` in one write transaction; any throw rolls everything back. */
  write<T>(work: () => T, doing: string): T {
    this.assertOpen();
    try {
      const result = this.db
        .transaction(() => {
          this.assertBinding();
          return work();
        })
        .immediate();
      this.indexes.noteCommit();
      return result;
    } catch (error) {
      throw toEngramError(error, doing);
    }
  }

  /**
   * Runs asynchronous `work` inside one transaction on this connection:
   * 'write' takes the write lock at once (BEGIN IMMEDIATE) and checks the
   * embedding binding; 'read' sees one snapshot. Any throw rolls back. The
   * caller must keep every other call off this connection until it settles
   * (SqliteStorage does).
   */
  async transaction<T>(mode: 'read' | 'write', doing: string, work: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      (mode === 'write' ? this.statements.beginWrite : this.statements.beginRead).run();
    } catch (error) {
      throw toEngramError(error, doing);
    }
    try {
      if (mode === 'write') this.assertBinding();
      const result = await work();
      this.statements.commit.run();
      if (mode === 'write') this.indexes.noteCommit();
      return result;
    } catch (error) {
      if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      throw toEngramError(error, doing);
    }
  }

  /** Wraps a read so SQLite failures become EngramErrors. */
  read<T>(work: () => T, doing: string): T {
    this.assertOpen();
    try {
      return work();
    } catch (error) {
      throw toEngramError(error, doing);
    }
  }

  /** A call that was in flight (e.g. embedding) when the Memory closed must not reach a closed handle. */
  private assertOpen(): void {
    if (!this.db.open) throw new EngramError('CLOSED', 'this Memory was closed while the call was running');
  }

  /**
   * Binds this connection to an embedding model: the file's model, or the
   * first one. From then on every write and every vector search checks that
   * the file is still bound to it, so a process left running with the old
   * model after a reindex gets EMBEDDING_MISMATCH instead of mixing vectors.
   */
  bindEmbeddingModel(modelId: string, dimension: number): void {
    this.write(() => vectors.bindEmbeddingModel(this.db, modelId, dimension), 'binding the embedding model');
    this.binding = { id: modelId, dimension };
    this.bindingCheckedAt = this.dataVersion.get() as number;
  }

  /** Throws EMBEDDING_MISMATCH when another connection switched the file's model since this one bound it. */
  private assertBinding(): void {
    if (!this.binding) return;
    const version = this.dataVersion.get() as number;
    if (version === this.bindingCheckedAt) return; // nobody else committed since the last look
    const bound = this.embeddingModel();
    if (bound?.id !== this.binding.id || bound.dimension !== this.binding.dimension) {
      throw new EngramError(
        'EMBEDDING_MISMATCH',
        `this file was switched to the embedding model "${bound?.id}" (${bound?.dimension} dimensions), probably by \`engram reindex\`, ` +
          `while this process still uses "${this.binding.id}" (${this.binding.dimension}); reopen it with the new model`,
        { details: { boundModel: bound?.id, boundDimension: bound?.dimension, model: this.binding.id, dimension: this.binding.dimension } },
      );
    }
    this.bindingCheckedAt = version;
  }

  embeddingModel(): { id: string; dimension: number } | undefined {
    const id = readMeta(this.db, META_KEYS.embeddingModel);
    if (id === undefined) return undefined;
    return { id, dimension: Number(readMeta(this.db, META_KEYS.embeddingDimension)) };
  }

  // ---- reads ----

  /** The current version of a memory, or the version valid at `at`. */
  memory(id: string, options: ReadOptions = {}): MemoryItem | undefined {
    const row = memories.visibleMemoryById(this.db, id, options);
    return row && toMemoryItem(row);
  }

  /** Whether this memory is current and inside `scope` (every field the scope sets is equal). */
  isCurrentIn(id: string, scope: Scope): boolean {
    const row = memories.currentMemoryById(this.db, id);
    return row !== undefined && isInScope(scopeOfRow(row), scope);
  }

  /** The scope a memory (current or closed) belongs to, or undefined when no such id was ever stored. */
  scopeOfMemory(id: string): Scope | undefined {
    const row = memories.latestVersionById(this.db, id);
    return row && scopeOfRow(row);
  }

  /** Whether a memory with this id was ever stored (current or closed). */
  hasMemory(id: string): boolean {
    return memories.latestVersionById(this.db, id) !== undefined;
  }

  currentMemoryByHash(scope: Scope, hash: string): MemoryItem | undefined {
    const row = memories.currentMemoryByHash(this.db, scopeColumns(scope), hash);
    return row && toMemoryItem(row);
  }

  list(scope: Scope, options: { filter?: FilterNode | undefined; limit: number; offset: number; at?: number | undefined }): MemoryItem[] {
    const filter = options.filter && compileFilter(options.filter, 'm.metadata');
    return memories
      .listMemories(this.db, { scope: scopeColumns(scope), validity: { at: options.at }, filter, limit: options.limit, offset: options.offset })
      .map(toMemoryItem);
  }

  count(scope: Scope, options: { filter?: FilterNode | undefined; at?: number | undefined }): number {
    const filter = options.filter && compileFilter(options.filter, 'm.metadata');
    return memories.countMemories(this.db, { scope: scopeColumns(scope), validity: { at: options.at }, filter });
  }

  /** The k nearest memories of a scope by sqlite-vec's exact KNN (current, or valid at `at`). */
  nearest(query: Float32Array, k: number, scope: Scope, options: ReadOptions & { exactScope?: boolean } = {}): VectorHit[] {
    this.assertBinding();
    return vectors.nearestVectors(this.db, query, k, { scope: scopeColumns(scope), exactScope: options.exactScope ?? false, at: options.at });
  }

  /**
   * Search candidates of a scope for each signal, confirmed (visible, passing
   * the filter) with exact cosine distances; see search-candidates.ts.
   */
  searchCandidates(query: {
    scope: Scope;
    k: number;
    vector?: Float32Array | undefined;
    keyword?: KeywordQuery | undefined;
    filter?: FilterNode | undefined;
    at?: number | undefined;
    exact?: boolean | undefined;
  }): Candidates {
    if (query.vector) this.assertBinding();
    return searchCandidates(this.db, this.indexes, {
      ...query,
      scope: scopeColumns(query.scope),
      filter: query.filter && compileFilter(query.filter, 'm.metadata'),
    });
  }

  /** The memories stored around each of these in its exact scope (see adjacent-memories.ts); ids with none are left out. */
  adjacentMemories(ids: readonly string[], options: AdjacencyOptions): Map<string, Adjacent> {
    const validity = { at: options.at };
    const filter = options.filter && compileFilter(options.filter, 'm.metadata');
    const rows = memories.visibleMemoriesById(this.db, ids, validity).filter(storedAsSaid);
    const adjacent = adjacentRows(this.db, rows, { window: options.window, gapMs: options.gapMs, validity, filter });
    const around = new Map<string, Adjacent>();
    rows.forEach((row, i) => {
      const { before, after } = adjacent[i] as { before: memories.MemoryRow[]; after: memories.MemoryRow[] };
      if (before.length + after.length > 0) around.set(row.id, { before: before.map(toMemoryItem), after: after.map(toMemoryItem) });
    });
    return around;
  }

  /** The messages each memory's visible version was stored from (see the port's sourceMessages). */
  sourceMessages(ids: readonly string[], at?: number): Map<string, MessageRow[]> {
    const valid = memories.validityWhere({ at }, 'm');
    const rows = this.db
      .prepare(
        `SELECT m.id AS memory_id, msg.id, msg.role, msg.name, msg.content, msg.created_at
         FROM json_each(?) AS wanted JOIN memories m ON m.id = wanted.value
         JOIN json_each(m.source, '$.messageIds') AS source
         JOIN messages msg ON msg.id = source.value
           AND msg.user_id IS m.user_id AND msg.agent_id IS m.agent_id AND msg.run_id IS m.run_id
         WHERE ${valid.sql} AND json_valid(m.source) ORDER BY msg.id`,
      )
      .all(JSON.stringify(ids), ...valid.params) as (MessageRow & { memory_id: string })[];
    const found = new Map<string, MessageRow[]>();
    for (const { memory_id, ...message } of rows) found.set(memory_id, [...(found.get(memory_id) ?? []), message]);
    return found;
  }

  /** Resolves vector hits to visible memories passing `filter`, keeping the hits' order. */
  resolveHits(hits: readonly VectorHit[], filter?: FilterNode, options: ReadOptions = {}): { seq: number; item: MemoryItem; distance: number }[] {
    const fragment = filter && compileFilter(filter, 'm.metadata');
    const rows = memories.visibleMemoriesBySeq(
      this.db,
      hits.map((h) => h.seq),
      options,
      fragment,
    );
    const bySeq = new Map(rows.map((row) => [row.seq, row]));
    return hits.flatMap((hit) => {
      const row = bySeq.get(hit.seq);
      return row ? [{ seq: hit.seq, item: toMemoryItem(row), distance: hit.distance }] : [];
    });
  }

  history(id: string): HistoryEntry[] {
    return historyOf(this.db, id).map(toHistoryEntry);
  }

  /** The last `limit` messages logged in exactly this scope, oldest first. */
  recentMessages(scope: Scope, limit: number, beforeId?: number): MessageRow[] {
    return recentMessages(this.db, scopeColumns(scope), limit, beforeId);
  }

  /** Checks every structural invariant of the file; returns the violations found (none when healthy). */
  verify(): string[] {
    return verifyInvariants(this.db);
  }

  // ---- writes: call inside write() ----

  appendMessages(scope: Scope, messages: readonly NewMessageRow[], at: number): number[] {
    return appendMessages(this.db, scopeColumns(scope), messages, at);
  }

  /** Inserts a new memory (version 1) with its vector, its full-text entry and an ADD history row. */
  insertMemory(memory: NewMemory, at: number, actor: HistoryActor): MemoryItem {
    this.closeExpiredTwin(memory.scope, memory.hash, at);
    const metadata = JSON.stringify(memory.metadata);
    this.insertVersion({ ...memory, version: 1, createdAt: at, updatedAt: at, metadata, expiresAt: memory.expiresAt ?? null });
    appendHistory(this.db, {
      memory_id: memory.id,
      event: 'ADD',
      old_text: null,
      new_text: memory.text,
      old_metadata: null,
      new_metadata: metadata,
      actor,
      reason: null,
      created_at: at,
    });
    return this.writtenVersion(memory.id);
  }

  /**
   * Replaces the current version of a memory with a new one (same id, next
   * version): the old version is closed, not overwritten. Returns undefined
   * when the memory is no longer current.
   */
  reviseMemory(id: string, revision: Revision, at: number, actor: HistoryActor, reason?: string): MemoryItem | undefined {
    const current = memories.currentMemoryById(this.db, id);
    if (!current) return undefined;
    const embedding = revision.embedding ?? vectors.vectorOf(this.db, current.seq);
    if (!embedding) throw new Error(`memory ${id} has no vector`); // verify() reports this state; never expected
    // The new text may be one that expired here: its open row gives way (one open version per text and scope).
    if (revision.hash !== current.hash) this.closeExpiredTwin(scopeOfRow(current), revision.hash, at);
    // A version cannot end before it began (e.g. an old conversation imported after a newer one).
    const switchAt = Math.max(revision.validFrom, current.valid_from);
    this.closeVersion(current, switchAt);
    const metadata = JSON.stringify(revision.metadata);
    const scope = scopeOfRow(current);
    this.insertVersion({
      id,
      version: current.version + 1,
      text: revision.text,
      hash: revision.hash,
      kind: current.kind,
      scope,
      metadata,
      createdAt: current.created_at,
      updatedAt: at,
      validFrom: switchAt,
      source: revision.source === undefined ? (current.source === null ? null : (JSON.parse(current.source) as Record<string, unknown>)) : revision.source,
      embedding,
      expiresAt: revision.expiresAt === undefined ? current.expires_at : revision.expiresAt,
    });
    appendHistory(this.db, {
      memory_id: id,
      event: 'UPDATE',
      old_text: current.text,
      new_text: revision.text,
      old_metadata: current.metadata,
      new_metadata: metadata,
      actor,
      reason: reason ?? null,
      created_at: at,
    });
    return this.writtenVersion(id);
  }

  /** The version just written, even when its expiry has passed by now (a read of "current" would not show it). */
  private writtenVersion(id: string): MemoryItem {
    return toMemoryItem(memories.latestVersionById(this.db, id) as memories.MemoryRow);
  }

  /**
   * Ends a current memory's validity (it leaves reads, stays in history and
   * asOf); returns whether it was current. `validTo` defaults to `at`.
   */
  closeMemory(id: string, at: number, actor: HistoryActor, reason?: string, validTo: number = at): boolean {
    const row = memories.currentMemoryById(this.db, id);
    if (!row) return false;
    this.endVersion(row, Math.max(validTo, row.valid_from), at, actor, reason);
    return true;
  }

  /**
   * Closes the expired open version with this text in exactly this scope, if
   * any, so the text can be stored again (one open version per text and scope):
   * it ends at its expiry, with a DELETE by 'api' saying so.
   */
  private closeExpiredTwin(scope: Scope, hash: string, at: number): void {
    const open = memories.openMemoryByHash(this.db, scopeColumns(scope), hash);
    if (open?.expires_at == null || open.expires_at > Date.now()) return;
    this.endVersion(open, Math.max(open.expires_at, open.valid_from), at, 'api', 'expired');
  }

  /** Ends a version at `validTo` with a DELETE history row. */
  private endVersion(row: memories.MemoryRow, validTo: number, at: number, actor: HistoryActor, reason: string | undefined): void {
    const id = row.id;
    this.closeVersion(row, validTo);
    appendHistory(this.db, {
      memory_id: id,
      event: 'DELETE',
      old_text: row.text,
      new_text: null,
      old_metadata: row.metadata,
      new_metadata: null,
      actor,
      reason: reason ?? null,
      created_at: at,
    });
  }

  /** Ids of memories that expired by `now` (in a scope and under it, or anywhere), oldest expiry first. */
  expiredMemoryIds(now: number, scope?: Scope): string[] {
    return expiredMemoryIds(this.db, now, scope && scopeColumns(scope));
  }

  /** Erases these memories for good, with what only they held (see erase-memories.ts). */
  eraseMemories(ids: readonly string[]): ErasedCounts {
    return eraseMemories(this.db, ids);
  }

  /** Marks current versions as used at `at` (see memory-use.ts). */
  recordAccess(ids: readonly string[], at: number): void {
    recordAccess(this.db, ids, at);
  }

  lastAccess(ids: readonly string[]): Map<string, number> {
    return lastAccess(this.db, ids);
  }

  policy(scope?: Scope): string | undefined {
    return policies.readPolicy(this.db, scope);
  }

  setPolicy(json: string | undefined, scope?: Scope): void {
    policies.writePolicy(this.db, json, scope, Date.now());
  }

  scopePolicies(scope?: Scope): { scope: Scope; json: string }[] {
    return policies.scopePolicies(this.db, scope);
  }

  /** Ids of every current memory in a scope. */
  countCurrent(scope: Scope): number {
    const where = scopeWhere(scopeColumns(scope), 'm');
    const valid = memories.validityWhere({}, 'm');
    return this.db.prepare(`SELECT count(*) FROM memories m WHERE ${where.sql} AND ${valid.sql}`).pluck().get(...where.params, ...valid.params) as number;
  }

  scopeOwners(limit: number, offset: number): Promise<ScopeOwnerPage> {
    const statement = this.db.prepare(scopeOwnersSql(() => '?'));
    return scopeOwnerPage(async (l, o) => statement.all(l, o) as Awaited<ReturnType<Parameters<typeof scopeOwnerPage>[0]>>, limit, offset);
  }

  currentIds(scope: Scope): string[] {
    const where = scopeWhere(scopeColumns(scope), 'm');
    const valid = memories.validityWhere({}, 'm');
    return (
      this.db.prepare(`SELECT m.id FROM memories m WHERE ${where.sql} AND ${valid.sql} ORDER BY m.seq`).all(...where.params, ...valid.params) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /** The database handle, for the repositories that are plain functions of it (jobs). Only inside a transaction. */
  get connection(): Database {
    return this.db;
  }

  /** Erases a scope for good: every version, vector, full-text entry, history row, message, job, entity, relation and mention. */
  purge(scope: Scope): PurgeCounts {
    return purgeScope(this.db, scopeColumns(scope));
  }

  // ---- export and import ----

  /** The header of an export in Engram's portable format. */
  exportHeader(): ExportRecord {
    const model = this.embeddingModel();
    return { type: 'engram', format: EXPORT_FORMAT_VERSION, exportedAt: new Date().toISOString(), ...(model ? { embeddingModel: model.id } : {}) };
  }

  /** Up to `limit` logged messages after message `afterId` (see portable.ts). */
  exportMessagePage(afterId: number, limit: number): ExportMessage[] {
    return exportMessagePage(this.db, afterId, limit);
  }

  /** Up to `limit` memories after row `afterSeq`, each whole, and the row to continue from (see portable.ts). */
  exportMemoryPage(afterSeq: number, limit: number): { records: ExportMemory[]; lastSeq: number | undefined } {
    return exportMemoryPage(this.db, afterSeq, limit);
  }

  /**
   * Logs an imported message unless it is already logged: the `occurrence`-th
   * equal message of the import matches the `occurrence`-th equal one logged.
   * Call inside write().
   */
  importMessage(message: ExportMessage, occurrence: number): { id: number; added: boolean } {
    const existing = findMessage(this.db, message, occurrence);
    if (existing !== undefined) return { id: existing, added: false };
    return { id: insertImportedMessage(this.db, message), added: true };
  }

  /**
   * Writes an imported memory with all its versions, unless its id exists or
   * its current text is already current in its exact scope. Call inside write().
   */
  importMemory(memory: ExportMemory, hashes: string[], vectors: Float32Array[]): boolean {
    if (this.hasMemory(memory.id)) return false;
    const last = memory.versions.at(-1);
    const scope: Scope = {};
    if (memory.userId !== undefined) scope.userId = memory.userId;
    if (memory.agentId !== undefined) scope.agentId = memory.agentId;
    if (memory.runId !== undefined) scope.runId = memory.runId;
    if (last && last.validTo === undefined) {
      const hash = hashes.at(-1) as string;
      const lastExpired = last.expiresAt !== undefined && Date.parse(last.expiresAt) <= Date.now();
      // One open version per text and scope: an expired one here gives way to a live import; an expired import to anything open.
      if (this.currentMemoryByHash(scope, hash) || (lastExpired && memories.openMemoryByHash(this.db, scopeColumns(scope), hash))) return false;
      this.closeExpiredTwin(scope, hash, Date.now());
    }
    insertImportedMemory(this.db, memory, hashes, vectors);
    return true;
  }

  // ---- reindex (another embedding model) ----

  startReindex(modelId: string, dimension: number): void {
    this.write(() => reindex.startReindex(this.db, modelId, dimension), 'preparing the reindex');
  }

  pendingReindex(limit: number): reindex.PendingVersion[] {
    return this.read(() => reindex.pendingReindex(this.db, limit), 'reading memories to re-embed');
  }

  reindexCounts(): { done: number; total: number } {
    return this.read(() => reindex.reindexCounts(this.db), 'counting re-embedded memories');
  }

  storeReindexVectors(rows: { version: reindex.PendingVersion; embedding: Float32Array }[]): void {
    this.write(() => reindex.storeReindexVectors(this.db, rows), 'storing re-embedded vectors');
  }

  pendingEntityReindex(limit: number): reindex.PendingEntity[] {
    return this.read(() => reindex.pendingEntityReindex(this.db, limit), 'reading entity names to re-embed');
  }

  storeEntityReindexVectors(rows: { entity: reindex.PendingEntity; embedding: Float32Array }[]): void {
    this.write(() => reindex.storeEntityReindexVectors(this.db, rows), 'storing re-embedded entity vectors');
  }

  finishReindex(modelId: string, dimension: number): boolean {
    return this.write(() => reindex.finishReindex(this.db, modelId, dimension), 'switching to the new vectors');
  }

  /** Removes every record of every type; keeps the schema and the embedding binding. */
  clear(): void {
    clearAll(this.db);
  }

  private insertVersion(version: {
    id: string;
    version: number;
    text: string;
    hash: string;
    kind: MemoryKind;
    scope: Scope;
    metadata: string;
    createdAt: number;
    updatedAt: number;
    validFrom: number;
    source: Record<string, unknown> | null;
    embedding: Float32Array;
    expiresAt: number | null;
  }): void {
    const columns = scopeColumns(version.scope);
    const seq = memories.insertMemory(this.db, {
      id: version.id,
      version: version.version,
      text: version.text,
      hash: version.hash,
      kind: version.kind,
      user_id: columns.user_id ?? null,
      agent_id: columns.agent_id ?? null,
      run_id: columns.run_id ?? null,
      metadata: version.metadata,
      created_at: version.createdAt,
      updated_at: version.updatedAt,
      valid_from: version.validFrom,
      source: version.source && JSON.stringify(version.source),
      expires_at: version.expiresAt,
    });
    vectors.insertVector(this.db, seq, version.embedding, columns, version.validFrom, version.expiresAt);
  }

  private closeVersion(row: memories.MemoryRow, at: number): void {
    memories.closeVersion(this.db, row.seq, at);
    vectors.closeVector(this.db, row.seq, at, row.expires_at);
  }
}
