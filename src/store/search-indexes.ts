import type { Database } from './database.js';
import { FtsTokenizer } from './fts-tokenizer.js';
import { META_KEYS, readMeta } from './meta.js';
import { ScopeIndex } from './scope-index.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';
import { OPEN_END } from './vectors.js';

export type SearchIndexOptions = {
  /** Bytes all scope indexes of one connection may hold; least recently used scopes go first. */
  budgetBytes: number;
  /** Scopes with fewer current vectors are always searched exactly (every vector scored). */
  sketchMinVectors: number;
  /** Below this many dimensions, sign bits say too little (measured: recall@10 0.92 at 100-d): exact search. */
  sketchMinDimension: number;
};

export const DEFAULT_SEARCH_INDEX_OPTIONS: SearchIndexOptions = {
  budgetBytes: 512 * 2 ** 20,
  sketchMinVectors: 2_000,
  sketchMinDimension: 256,
};

/** Rows read per statement when loading vectors by seq. */
const LOAD_BATCH = 2_000;

/**
 * The in-memory search indexes of one connection, one per searched scope
 * (see ScopeIndex), kept fresh without any write path having to know them:
 *
 * - new current versions are read by seq (`seq > maxSeq`) before a search
 *   uses an index, whenever the file changed since (PRAGMA data_version for
 *   other connections, a counter for this one's commits);
 * - versions that stop being current are found when the store confirms
 *   candidates in SQL, and retired then;
 * - a delete from `memories` (purge, reset) or a reindex bumps the
 *   `search_epoch` meta value: every index is dropped and rebuilt on demand,
 *   because a deleted seq can be reused and vectors may have changed.
 *
 * Indexes are read inside a read transaction of the search (one snapshot),
 * never inside a write transaction: what they would read there could still
 * be rolled back.
 */
export class SearchIndexes {
  private readonly indexes = new Map<string, ScopeIndex>();
  private readonly dataVersion;
  private tokenizerInstance: FtsTokenizer | undefined;
  private ownCommits = 0;
  private lastToken = '';
  private epoch: string | undefined;

  constructor(
    private readonly db: Database,
    readonly options: SearchIndexOptions = DEFAULT_SEARCH_INDEX_OPTIONS,
  ) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** This connection committed a change. */
  noteCommit(): void {
    this.ownCommits++;
  }

  get tokenizer(): FtsTokenizer {
    this.tokenizerInstance ??= new FtsTokenizer(this.db);
    return this.tokenizerInstance;
  }

  /**
   * The up-to-date index of a scope (built on first use). With
   * `vectorDimension`, it also holds the scope's vectors (and, when large
   * enough, their sign-bit sketch). Call inside a read transaction, so what
   * it reads and what the caller then confirms are one snapshot; never inside
   * a write transaction, whose rows could still be rolled back.
   */
  forScope(scope: ScopeColumns, vectorDimension?: number): ScopeIndex {
    const token = this.changeToken();
    const key = JSON.stringify([scope.user_id ?? null, scope.agent_id ?? null, scope.run_id ?? null]);
    let index = this.indexes.get(key);
    if (index?.wasteful) index = undefined;
    this.indexes.delete(key);
    index ??= new ScopeIndex();
    this.indexes.set(key, index); // most recently used last
    if (index.checkedAt !== token) {
      this.catchUp(index, scope);
      index.checkedAt = token;
    }
    if (vectorDimension !== undefined && !index.vectors) this.loadAllVectors(index, scope, vectorDimension);
    const vectors = index.vectors;
    if (vectors && !vectors.sketched && index.aliveCount >= this.options.sketchMinVectors) vectors.sketch(index.size);
    this.evict();
    return index;
  }

  /** Drops every index (e.g. the connection closes). */
  clear(): void {
    this.indexes.clear();
  }

  /** A value that changes whenever the file may have changed; on an epoch change, drops every index. */
  private changeToken(): string {
    const token = `${this.dataVersion.get() as number}:${this.ownCommits}`;
    if (token !== this.lastToken) {
      this.lastToken = token;
      const epoch = readMeta(this.db, META_KEYS.searchEpoch);
      if (epoch !== this.epoch) {
        this.epoch = epoch;
        this.indexes.clear();
      }
    }
    return token;
  }

  /** Reads the scope's current versions newer than the index, tokenizes them and (if sketched) reads their vectors. */
  private catchUp(index: ScopeIndex, scope: ScopeColumns): void {
    // Catching up, the seq range is the selective part, not the scope.
    const where = scopeWhere(scope, 'm', { unindexed: index.maxSeq > 0 });
    const rows = this.db
      .prepare(`SELECT m.seq AS seq, m.text AS text FROM memories m WHERE m.seq > ? AND ${where.sql} AND m.valid_to IS NULL ORDER BY m.seq`)
      .raw()
      .all(index.maxSeq, ...where.params) as [number, string][];
    if (rows.length === 0) return;
    const terms: string[][] = rows.map(() => []);
    this.tokenizer.tokenize(
      rows.map((row) => row[1]),
      (doc, term) => (terms[doc] as string[]).push(term),
    );
    const added = rows.map(([seq], i) => ({ seq, slot: index.add(seq, terms[i] as string[]) }));
    if (index.vectors) this.loadVectors(index, added.map((a) => a.seq));
  }

  private loadAllVectors(index: ScopeIndex, scope: ScopeColumns, dimension: number): void {
    index.startVectors(dimension, this.options.sketchMinDimension);
    if (scope.user_id !== undefined) this.scanPartition(index, scope);
    else this.loadVectors(index, Array.from({ length: index.size }, (_, slot) => index.seqOf(slot)));
  }

  /** Vectors by seq (point lookups). */
  private loadVectors(index: ScopeIndex, seqs: readonly number[]): void {
    const vectors = index.vectors;
    if (!vectors) return;
    const select = this.db
      .prepare('SELECT v.memory_seq, v.embedding FROM json_each(?) AS wanted JOIN memory_vectors v ON v.memory_seq = wanted.value')
      .raw();
    const found = new Set<number>();
    for (let i = 0; i < seqs.length; i += LOAD_BATCH) {
      for (const [seq, embedding] of select.iterate(JSON.stringify(seqs.slice(i, i + LOAD_BATCH))) as IterableIterator<[number, Buffer]>) {
        vectors.set(index.slotOf(seq) as number, floats(embedding));
        found.add(seq);
      }
    }
    // Every current version has a vector (verify() checks it); one without could never be ranked, so it is not proposed.
    for (const seq of seqs) if (!found.has(seq)) index.retire(seq);
  }

  /** The user's whole vec0 partition in one scan (faster than point lookups), current versions of the scope only. */
  private scanPartition(index: ScopeIndex, scope: ScopeColumns): void {
    const vectors = index.vectors as NonNullable<ScopeIndex['vectors']>;
    const where = ['user_id = ?', 'valid_to = ?'];
    const params: unknown[] = [scope.user_id, BigInt(OPEN_END)];
    for (const column of ['agent_id', 'run_id'] as const) {
      if (scope[column] !== undefined) {
        where.push(`${column} = ?`);
        params.push(scope[column]);
      }
    }
    const select = this.db.prepare(`SELECT memory_seq, embedding FROM memory_vectors WHERE ${where.join(' AND ')}`).raw();
    const found = new Set<number>();
    for (const [seq, embedding] of select.iterate(...params) as IterableIterator<[number, Buffer]>) {
      const slot = index.slotOf(seq);
      if (slot === undefined) continue;
      vectors.set(slot, floats(embedding));
      found.add(seq);
    }
    for (let slot = 0; slot < index.size; slot++) if (!found.has(index.seqOf(slot))) index.retire(index.seqOf(slot));
  }

  /** Least recently used scopes leave until the rest fits the budget (the one just used always stays). */
  private evict(): void {
    let total = 0;
    for (const index of this.indexes.values()) total += index.bytes;
    for (const [key, index] of this.indexes) {
      if (total <= this.options.budgetBytes || this.indexes.size <= 1) return;
      total -= index.bytes;
      this.indexes.delete(key);
    }
  }
}

function floats(blob: Buffer): Float32Array {
  // A view when the bytes are 4-byte aligned, else a copy.
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}
