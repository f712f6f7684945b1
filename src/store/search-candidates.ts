import type { KeywordQuery } from '../pipeline/fts-query.js';
import type { Database } from './database.js';
import type { SqlFragment } from './filter-sql.js';
import { keywordHits } from './fts.js';
import { validityWhere, type MemoryRow } from './memories.js';
import type { ScopeIndex } from './scope-index.js';
import { scopeWhere, type ScopeColumns } from './scope-sql.js';
import type { SearchIndexes } from './search-indexes.js';
import { nearestVectors, vectorBlob } from './vectors.js';

export type CandidateQuery = {
  scope: ScopeColumns;
  /** Candidates wanted per signal. */
  k: number;
  /** The embedded query: vector candidates, and the cosine of every candidate. */
  vector?: Float32Array | undefined;
  keyword?: KeywordQuery | undefined;
  filter?: SqlFragment | undefined;
  /** Versions valid at this instant (ms); current versions when undefined. */
  at?: number | undefined;
  /** Vector candidates from sqlite-vec's exact KNN, never from the in-memory index (the reference for its recall). */
  exact?: boolean | undefined;
};

/** A confirmed candidate: its row, and its cosine distance to the query vector (when one was given). */
export type Candidate = { row: MemoryRow; distance: number | undefined };

export type Candidates = {
  /** Best first by exact cosine distance. */
  vector: { seq: number; distance: number }[];
  /** Best first by BM25 (positive, higher is better). */
  keyword: { seq: number; bm25: number }[];
  /** Every candidate above, visible and passing the filter. */
  bySeq: Map<number, Candidate>;
};

/**
 * Candidates the sign-bit pass of a large scope hands to exact scoring: at
 * least 1,000, 10 per wanted result and 2% of the scope. Measured at 384-d
 * (npm run bench:scale): recall@10 against exact KNN 1.000 for queries that
 * resemble the stored texts; for unrelated queries 0.98 at 10k, 0.97 at 100k.
 */
function sketchCandidates(k: number, scopeSize: number): number {
  return Math.max(1_000, 10 * k, Math.ceil(scopeSize / 50));
}
/** In-memory proposals found stale are retired and the search runs again; after this many tries, SQL alone answers. */
const INDEX_ATTEMPTS = 2;

/**
 * Candidates of a search in a scope, for each signal, confirmed in SQL.
 *
 * Proposals come from the scope's in-memory index when it can answer (current
 * versions; keyword without a filter; vectors unless `exact`), else from
 * sqlite-vec's exact KNN and FTS5. All proposals are then confirmed by one
 * statement that reads their rows, checks they are visible and pass the
 * filter, and computes the exact cosine where it is not known yet. An index
 * proposal that is no longer current is retired from the index and the
 * search runs again.
 */
export function searchCandidates(db: Database, indexes: SearchIndexes, query: CandidateQuery): Candidates {
  // Indexes only outside a write transaction (its rows could still be rolled back), and
  // inside one read transaction: the index catches up and its proposals are confirmed on one snapshot.
  if (db.inTransaction || query.at !== undefined) return search(db, indexes, query, false);
  return db.transaction(() => search(db, indexes, query, true))();
}

function search(db: Database, indexes: SearchIndexes, query: CandidateQuery, indexable: boolean): Candidates {
  for (let attempt = 0; ; attempt++) {
    const found = propose(db, indexes, query, indexable && attempt < INDEX_ATTEMPTS);
    const confirmed = confirm(db, found, query);
    if (found.index) {
      const stale = [...found.fromIndex].filter((seq) => !confirmed.visible.has(seq));
      if (stale.length > 0) {
        for (const seq of stale) found.index.retire(seq);
        continue;
      }
    }
    return assemble(db, found, confirmed, query);
  }
}

type Proposals = {
  vector: { seq: number; distance?: number | undefined }[];
  keyword: { seq: number; bm25: number }[];
  index: ScopeIndex | undefined;
  /** Seqs proposed by the index (not yet known to be current). */
  fromIndex: Set<number>;
  /** Exact distances of keyword candidates, when the index holds the vectors. */
  distances?: Map<number, number>;
};

function propose(db: Database, indexes: SearchIndexes, query: CandidateQuery, useIndexes: boolean): Proposals {
  const proposals: Proposals = { vector: [], keyword: [], index: undefined, fromIndex: new Set() };
  const wantsVectorIndex = query.vector !== undefined && !query.exact;
  const wantsKeywordIndex = query.keyword !== undefined && query.filter === undefined;
  const index = useIndexes && (wantsVectorIndex || wantsKeywordIndex) ? indexes.forScope(query.scope, wantsVectorIndex ? query.vector?.length : undefined) : undefined;
  proposals.index = index;

  if (query.vector) {
    if (index?.vectors && wantsVectorIndex) {
      // Small scopes score every vector; sketched (large) ones only their sign-bit candidates.
      proposals.vector = index.vectorNearest(query.vector, query.k, sketchCandidates(query.k, index.aliveCount));
      for (const hit of proposals.vector) proposals.fromIndex.add(hit.seq);
    } else {
      proposals.vector = nearestVectors(db, query.vector, query.k, { scope: query.scope, at: query.at });
    }
  }
  if (query.keyword) {
    if (index && wantsKeywordIndex) {
      proposals.keyword = index.keywordTop(indexes.tokenizer.terms(query.keyword.words.join(' ')), query.k);
      for (const hit of proposals.keyword) proposals.fromIndex.add(hit.seq);
    } else {
      proposals.keyword = keywordHits(db, query.keyword.fts, query.k, query.scope, { at: query.at }, query.filter);
    }
  }
  // Keyword candidates' cosines: from the vectors in memory when held, else the confirming statement computes them.
  if (query.vector && index?.vectors) {
    const known = new Set(proposals.vector.map((hit) => hit.seq));
    proposals.distances = index.vectorDistances(query.vector, proposals.keyword.map((hit) => hit.seq).filter((seq) => !known.has(seq)));
  }
  return proposals;
}

type Confirmed = {
  /** Visible rows among the proposals, whether or not they pass the filter. */
  visible: Set<number>;
  bySeq: Map<number, Candidate>;
};

/** One statement: the proposals' rows (visible ones), whether they pass the filter, and exact distances where unknown. */
function confirm(db: Database, proposals: Proposals, query: CandidateQuery): Confirmed {
  const known = new Map<number, number>(proposals.distances);
  for (const hit of proposals.vector) if (hit.distance !== undefined) known.set(hit.seq, hit.distance);
  const seqs = [...new Set([...proposals.vector.map((h) => h.seq), ...proposals.keyword.map((h) => h.seq)])];
  const unknown = query.vector ? seqs.filter((seq) => !known.has(seq)) : [];
  const visible = new Set<number>();
  const bySeq = new Map<number, Candidate>();
  if (seqs.length === 0) return { visible, bySeq };

  const valid = validityWhere({ at: query.at }, 'm');
  const passes = query.filter ? query.filter.sql : '1';
  const distance =
    unknown.length > 0
      ? `CASE WHEN m.seq IN (SELECT value FROM json_each(?)) THEN (SELECT vec_distance_cosine(v.embedding, ?) FROM memory_vectors v WHERE v.memory_seq = m.seq) END`
      : 'NULL';
  const params: unknown[] = [];
  if (unknown.length > 0) params.push(JSON.stringify(unknown), vectorBlob(query.vector as Float32Array));
  params.push(...(query.filter?.params ?? []), JSON.stringify(seqs), ...valid.params);
  const rows = db
    .prepare(
      `SELECT m.*, ${distance} AS engram_distance, ${passes} AS engram_passes
       FROM json_each(?) AS wanted JOIN memories m ON m.seq = wanted.value
       WHERE ${valid.sql}`,
    )
    .all(...params) as (MemoryRow & { engram_distance: number | null; engram_passes: number })[];
  for (const { engram_distance, engram_passes, ...row } of rows) {
    visible.add(row.seq);
    if (engram_passes !== 1) continue;
    // A zero vector has no direction (NULL distance): unrelated.
    const d = known.get(row.seq) ?? (query.vector ? (engram_distance ?? 1) : undefined);
    bySeq.set(row.seq, { row, distance: d });
  }
  return { visible, bySeq };
}

function assemble(db: Database, proposals: Proposals, confirmed: Confirmed, query: CandidateQuery): Candidates {
  const bySeq = confirmed.bySeq;
  let vector = proposals.vector.flatMap(({ seq }) => {
    const found = bySeq.get(seq);
    return found ? [{ seq, distance: found.distance as number }] : [];
  });
  // A filter can leave too few of the nearest: look further, so a filter never hides a match.
  if (query.vector && query.filter && vector.length < query.k && proposals.vector.length >= query.k) {
    const index = proposals.index?.vectors ? proposals.index : undefined;
    const further = index ? widenInMemory(db, index, query.vector, query, bySeq) : undefined;
    vector = further ?? (index ? nearestFilteredInMemory(db, index, query.vector, query) : nearestFiltered(db, query.vector, query));
    const missing = vector.filter((hit) => !bySeq.has(hit.seq));
    if (missing.length > 0) {
      const more = confirm(db, { ...proposals, vector: missing, keyword: [], fromIndex: new Set(), distances: new Map() }, query);
      for (const [seq, found] of more.bySeq) bySeq.set(seq, found);
    }
    vector = vector.filter((hit) => bySeq.has(hit.seq));
  }
  vector.sort((a, b) => a.distance - b.distance || a.seq - b.seq);
  const keyword = proposals.keyword.filter((hit) => bySeq.has(hit.seq));
  return { vector, keyword, bySeq };
}

/**
 * The k nearest passing the filter, by asking the in-memory index for 4×, 16×…
 * as many and confirming only those: cheap while the filter passes a fair
 * share. Undefined once the search would cover a quarter of the scope: then
 * reading which memories pass the filter is cheaper.
 */
function widenInMemory(
  db: Database,
  index: ScopeIndex,
  vector: Float32Array,
  query: CandidateQuery,
  bySeq: Map<number, Candidate>,
): { seq: number; distance: number }[] | undefined {
  for (let wanted = query.k * 4; wanted * 4 <= index.aliveCount; wanted *= 4) {
    const hits = index.vectorNearest(vector, wanted, sketchCandidates(wanted, index.aliveCount));
    const confirmed = confirm(db, { vector: hits, keyword: [], index, fromIndex: new Set() }, query);
    const passing = hits.filter((hit) => confirmed.bySeq.has(hit.seq));
    if (passing.length >= query.k) {
      for (const hit of passing) bySeq.set(hit.seq, confirmed.bySeq.get(hit.seq) as Candidate);
      return passing.slice(0, query.k);
    }
  }
  return undefined;
}

/** The same, scored from the vectors in memory: SQL only says which current versions pass the filter. */
function nearestFilteredInMemory(db: Database, index: ScopeIndex, vector: Float32Array, query: CandidateQuery): { seq: number; distance: number }[] {
  const where = scopeWhere(query.scope, 'm');
  const filter = query.filter as SqlFragment;
  const seqs = db
    .prepare(`SELECT m.seq FROM memories m WHERE ${where.sql} AND m.valid_to IS NULL AND ${filter.sql}`)
    .pluck()
    .all(...where.params, ...filter.params) as number[];
  return [...index.vectorDistances(vector, seqs)]
    .map(([seq, distance]) => ({ seq, distance }))
    .sort((a, b) => a.distance - b.distance || a.seq - b.seq)
    .slice(0, query.k);
}

/** Exact nearest versions of a scope among those passing the filter (sqlite-vec computes every distance). */
function nearestFiltered(db: Database, vector: Float32Array, query: CandidateQuery): { seq: number; distance: number }[] {
  const where = scopeWhere(query.scope, 'm');
  const valid = validityWhere({ at: query.at }, 'm');
  const filter = query.filter as SqlFragment;
  const rows = db
    .prepare(
      `SELECT m.seq AS seq, vec_distance_cosine(v.embedding, ?) AS distance
       FROM memories m JOIN memory_vectors v ON v.memory_seq = m.seq
       WHERE ${where.sql} AND ${valid.sql} AND ${filter.sql}
       ORDER BY distance LIMIT ?`,
    )
    .all(vectorBlob(vector), ...where.params, ...valid.params, ...filter.params, query.k) as { seq: number; distance: number | null }[];
  return rows.map((row) => ({ seq: row.seq, distance: row.distance ?? 1 }));
}
