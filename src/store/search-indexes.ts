import type { Database } from './database.js';
import { FtsTokenizer } from './fts-tokenizer.js';
import { mapBytes, stringBytes } from './heap-bytes.js';
import { META_KEYS, readMeta } from './meta.js';
import { validityWhere } from './memories.js';
import { ScopeIndex } from './scope-index.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';

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

/** Rows read per statement when loading vectors or texts by seq; also bounds the texts and tokens held at once while building. */
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
  /** Scope key → its index, least recently used first. */
  private readonly indexes = new Map<string, ScopeIndex>();
  /** Σ over `indexes` of their entry's bytes (see entryBytes), kept as they change. */
  private held = 0;
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

  /** Bytes the indexes now held take, as counted against `budgetBytes` (the cache map included). */
  get heldBytes(): number {
    return this.held + mapBytes(this.indexes.size);
  }

  /** The indexes held, least recently used first (for inspection: benches, tests). */
  heldIndexes(): ScopeIndex[] {
    return [...this.indexes.values()];
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
    if (index) {
      this.held -= entryBytes(key, index);
      this.indexes.delete(key);
    }
    if (index?.wasteful) index = undefined;
    index ??= new ScopeIndex();
    if (index.checkedAt !== token) {
      this.catchUp(index, scope);
      index.checkedAt = token;
    }
    index.retireExpired(Date.now());
    if (vectorDimension !== undefined && !index.vectors) this.loadAllVectors(index, vectorDimension);
    const vectors = index.vectors;
    if (vectors && !vectors.sketched && index.aliveCount >= this.options.sketchMinVectors) vectors.sketch(index.size);
    this.indexes.set(key, index); // most recently used last
    this.held += entryBytes(key, index);
    this.evict();
    return index;
  }

  /** Drops every index (e.g. the connection closes). */
  clear(): void {
    this.indexes.clear();
    this.held = 0;
  }

  /** A value that changes whenever the file may have changed; on an epoch change, drops every index. */
  private changeToken(): string {
    const token = `${this.dataVersion.get() as number}:${this.ownCommits}`;
    if (token !== this.lastToken) {
      this.lastToken = token;
      const epoch = readMeta(this.db, META_KEYS.searchEpoch);
      if (epoch !== this.epoch) {
        this.epoch = epoch;
        this.clear();
      }
    }
    return token;
  }

  /**
   * Reads the scope's current versions newer than the index, tokenizes them and
   * (if the index holds vectors) reads their vectors: seqs first, then texts
   * a batch at a time, so a large scope's build never holds all its texts and
   * tokens at once.
   */
  private catchUp(index: ScopeIndex, scope: ScopeColumns): void {
    // Catching up, the seq range is the selective part, not the scope.
    const where = scopeWhere(scope, 'm', { unindexed: index.maxSeq > 0 });
    const valid = validityWhere({}, 'm');
    const rows = this.db
      .prepare(`SELECT m.seq, m.expires_at FROM memories m WHERE m.seq > ? AND ${where.sql} AND ${valid.sql} ORDER BY m.seq`)
      .raw()
      .all(index.maxSeq, ...where.params, ...valid.params) as [number, number | null][];
    if (rows.length === 0) return;
    const seqs = rows.map((row) => row[0]);
    const building = index.size === 0;
    const select = this.db.prepare('SELECT m.seq, m.text FROM json_each(?) AS wanted JOIN memories m ON m.seq = wanted.value').raw();
    for (let i = 0; i < seqs.length; i += LOAD_BATCH) {
      const rows = (select.all(JSON.stringify(seqs.slice(i, i + LOAD_BATCH))) as [number, string][]).sort((a, b) => a[0] - b[0]);
      const terms: string[][] = rows.map(() => []);
      this.tokenizer.tokenize(
        rows.map((row) => row[1]),
        (doc, term) => (terms[doc] as string[]).push(term),
      );
      const batch = rows.map(([seq]) => seq);
      index.addAll(batch, terms);
      if (index.vectors) this.loadVectors(index, batch);
    }
    for (const [seq, expiresAt] of rows) if (expiresAt !== null) index.expiresAt(seq, expiresAt);
    if (building) index.trim();
  }

  private loadAllVectors(index: ScopeIndex, dimension: number): void {
    index.startVectors(dimension, this.options.sketchMinDimension);
    // Point lookups by seq, not a scan of the user's vec0 partition: vec0 answers a
    // non-KNN query by reading every row of the table (measured at 61,000 rows: 140–260 ms
    // for a scope of 1 to 20,000 vectors; point lookups 0.02 ms for 1, 65 ms for 20,000).
    this.loadVectors(index, Array.from({ length: index.size }, (_, slot) => index.seqOf(slot)));
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

  /** Least recently used scopes leave until the rest fits the budget (the one just used always stays). */
  private evict(): void {
    for (const [key, index] of this.indexes) {
      if (this.heldBytes <= this.options.budgetBytes || this.indexes.size <= 1) return;
      this.held -= entryBytes(key, index);
      this.indexes.delete(key);
    }
  }
}

/**
 * An index's bytes with its key string. An index's bytes change only inside
 * `forScope` (catch-up, vectors, sketch), while it is out of the map, so the
 * running total stays exact.
 */
function entryBytes(key: string, index: ScopeIndex): number {
  return stringBytes(key) + index.bytes;
}

function floats(blob: Buffer): Float32Array {
  // A view when the bytes are 4-byte aligned, else a copy.
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}
