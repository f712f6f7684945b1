import { EngramError } from '../errors.js';
import type { FilterNode } from '../filter.js';
import type { HistoryEntry, MemoryItem, MemoryKind, Scope } from '../schema.js';
import type { HistoryActor } from './history.js';
import type { VectorHit } from './vectors.js';
import { openDatabase, type Database } from './database.js';
import { compileFilter } from './filter-sql.js';
import { appendHistory, historyOf } from './history.js';
import * as memories from './memories.js';
import { toHistoryEntry, toMemoryItem } from './memory-item.js';
import { appendMessages, type NewMessageRow } from './messages.js';
import { META_KEYS, readMeta } from './meta.js';
import { scopeColumns, scopeWhere } from './scope-sql.js';
import { toEngramError } from './sqlite-errors.js';
import * as vectors from './vectors.js';

export type NewMemory = {
  id: string;
  text: string;
  hash: string;
  kind: MemoryKind;
  scope: Scope;
  metadata: Record<string, unknown>;
  validFrom: number;
  source: Record<string, unknown> | null;
  embedding: Float32Array;
};

export type ContentChange = { text: string; hash: string; metadata: Record<string, unknown>; embedding?: Float32Array | undefined };

export type StoreOptions = { path: string; busyTimeoutMs: number };

/**
 * The one SQLite file behind a Memory. Reads are plain calls; writes happen
 * inside `write`, one IMMEDIATE transaction, so a change lands whole or not at
 * all. The store never calls a model: embeddings arrive ready.
 */
export class Store {
  private constructor(private readonly db: Database) {}

  static open(options: StoreOptions): Store {
    return new Store(openDatabase(options));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `work` in one write transaction; any throw rolls everything back. */
  write<T>(work: () => T, doing: string): T {
    this.assertOpen();
    try {
      return this.db.transaction(work).immediate();
    } catch (error) {
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

  bindEmbeddingModel(modelId: string, dimension: number): void {
    this.write(() => vectors.bindEmbeddingModel(this.db, modelId, dimension), 'binding the embedding model');
  }

  embeddingModel(): { id: string; dimension: number } | undefined {
    const id = readMeta(this.db, META_KEYS.embeddingModel);
    if (id === undefined) return undefined;
    return { id, dimension: Number(readMeta(this.db, META_KEYS.embeddingDimension)) };
  }

  // ---- reads ----

  currentMemory(id: string): MemoryItem | undefined {
    const row = memories.currentMemoryById(this.db, id);
    return row && toMemoryItem(row);
  }

  /** Whether a memory with this id was ever stored (current or closed). */
  hasMemory(id: string): boolean {
    return memories.memoryById(this.db, id) !== undefined;
  }

  currentMemoryByHash(scope: Scope, hash: string): MemoryItem | undefined {
    const row = memories.currentMemoryByHash(this.db, scopeColumns(scope), hash);
    return row && toMemoryItem(row);
  }

  listCurrent(scope: Scope, options: { filter?: FilterNode | undefined; limit: number; offset: number }): MemoryItem[] {
    const filter = options.filter && compileFilter(options.filter, 'm.metadata');
    return memories
      .listCurrentMemories(this.db, { scope: scopeColumns(scope), filter, limit: options.limit, offset: options.offset })
      .map(toMemoryItem);
  }

  /** The k nearest current memories of a scope, by the vector index. */
  nearest(query: Float32Array, k: number, scope: Scope): VectorHit[] {
    return vectors.nearestVectors(this.db, query, k, scopeColumns(scope));
  }

  /** Resolves vector hits to current memories passing `filter`, keeping the hits' order. */
  resolveHits(hits: readonly VectorHit[], filter?: FilterNode): { item: MemoryItem; distance: number }[] {
    const fragment = filter && compileFilter(filter, 'm.metadata');
    const rows = memories.currentMemoriesBySeq(
      this.db,
      hits.map((h) => h.seq),
      fragment,
    );
    const bySeq = new Map(rows.map((row) => [row.seq, row]));
    return hits.flatMap((hit) => {
      const row = bySeq.get(hit.seq);
      return row ? [{ item: toMemoryItem(row), distance: hit.distance }] : [];
    });
  }

  /**
   * Exact nearest current memories of a scope among those passing `filter`:
   * used when a selective filter leaves too few of the index's candidates.
   */
  nearestFiltered(query: Float32Array, k: number, scope: Scope, filter: FilterNode): VectorHit[] {
    const where = scopeWhere(scopeColumns(scope), 'm');
    const fragment = compileFilter(filter, 'm.metadata');
    const rows = this.db
      .prepare(
        `SELECT m.seq AS seq, vec_distance_cosine(v.embedding, ?) AS distance
         FROM memories m JOIN memory_vectors v ON v.memory_seq = m.seq
         WHERE ${where.sql} AND m.valid_to IS NULL AND ${fragment.sql}
         ORDER BY distance LIMIT ?`,
      )
      .all(vectors.vectorBlob(query), ...where.params, ...fragment.params, k) as { seq: number; distance: number | null }[];
    return rows.map((row) => ({ seq: row.seq, distance: row.distance ?? 1 }));
  }

  history(id: string): HistoryEntry[] {
    return historyOf(this.db, id).map(toHistoryEntry);
  }

  // ---- writes: call inside write() ----

  appendMessages(scope: Scope, messages: readonly NewMessageRow[], at: number): number[] {
    return appendMessages(this.db, scopeColumns(scope), messages, at);
  }

  /** Inserts a memory with its vector, its full-text entry and an ADD history row. */
  insertMemory(memory: NewMemory, at: number, actor: HistoryActor): MemoryItem {
    const columns = scopeColumns(memory.scope);
    const metadata = JSON.stringify(memory.metadata);
    const seq = memories.insertMemory(this.db, {
      id: memory.id,
      text: memory.text,
      hash: memory.hash,
      kind: memory.kind,
      user_id: columns.user_id ?? null,
      agent_id: columns.agent_id ?? null,
      run_id: columns.run_id ?? null,
      metadata,
      created_at: at,
      updated_at: at,
      valid_from: memory.validFrom,
      source: memory.source && JSON.stringify(memory.source),
    });
    vectors.insertVector(this.db, seq, memory.embedding, columns, memory.validFrom);
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
    return toMemoryItem(memories.currentMemoryById(this.db, memory.id) as memories.MemoryRow);
  }

  /** Changes a current memory's text and metadata in place (an explicit edit), with an UPDATE history row. */
  updateMemory(id: string, change: ContentChange, at: number, actor: HistoryActor): MemoryItem | undefined {
    const row = memories.currentMemoryById(this.db, id);
    if (!row) return undefined;
    const metadata = JSON.stringify(change.metadata);
    memories.updateMemoryContent(this.db, row.seq, { text: change.text, hash: change.hash, metadata, updatedAt: at });
    if (change.embedding) vectors.replaceVector(this.db, row.seq, change.embedding);
    appendHistory(this.db, {
      memory_id: id,
      event: 'UPDATE',
      old_text: row.text,
      new_text: change.text,
      old_metadata: row.metadata,
      new_metadata: metadata,
      actor,
      reason: null,
      created_at: at,
    });
    return toMemoryItem(memories.currentMemoryById(this.db, id) as memories.MemoryRow);
  }

  /** Ends a current memory's validity (it leaves reads, stays in history); returns whether it was current. */
  closeMemory(id: string, at: number, actor: HistoryActor, reason?: string): boolean {
    const row = memories.currentMemoryById(this.db, id);
    if (!row) return false;
    memories.closeMemory(this.db, row.seq, at);
    vectors.closeVector(this.db, row.seq, at);
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
    return true;
  }

  /** Ids of every current memory in a scope. */
  currentIds(scope: Scope): string[] {
    const where = scopeWhere(scopeColumns(scope), 'm');
    return (
      this.db.prepare(`SELECT m.id FROM memories m WHERE ${where.sql} AND m.valid_to IS NULL ORDER BY m.seq`).all(...where.params) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /** Removes every memory, vector, history row and message; keeps the schema and the embedding binding. */
  clear(): void {
    this.db.exec('DELETE FROM history; DELETE FROM memory_vectors; DELETE FROM memories; DELETE FROM messages;');
  }
}
