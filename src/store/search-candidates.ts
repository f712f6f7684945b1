import type { KeywordQuery } from './fts-query.js';
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
 * Candidates the sign-bit pass of a large scope hands to exact scoring at
 * first: at least 1,000, 10 per wanted result and 2% of the scope. The pass
 * scores more when this proves too few for the query (ScopeVectors'
 * `sketchNearest`), and a sparse query skips it (`sparseNearest`). Measured
 * at 384-d (npm run bench:scale, recall@10 against sqlite-vec's exact KNN,
 * 200 queries): queries that resemble the stored texts 1.000 at 10k and 100k,
 * these candidates enough; unrelated queries 0.999 at 10k and 1.000 at 100k
 * (0.991 and 0.928 from these alone); a sparse embedder (hashed bags of
 * words) 1.000 at both counting ties at the 10th place as found (0.996 and
 * 0.987 by id: sqlite-vec's float32 cosines order equal ones by rounding),
 * where these alone found 0.985 and 0.970.
 */
export function sketchCandidates(k: number, scopeSize: number): number {
  return Math.max(1_000, 10 * k, Math.ceil(scopeSize / 50));
}
/** In-memory proposals found stale are retired and the search runs again; after this many tries, SQL alone answers. */
const INDEX_ATTEMPTS = 2;

/**
 * Candidates of a search in a scope, for each signal, confirmed in SQL.
 *
 * Proposals come from the scope's in-memory index when it can answer (current
 * versions; vectors unless `exact`), else from sqlite-vec's exact KNN and
 * FTS5. All proposals are then confirmed by one statement that reads their
 * rows, checks they are visible and pass the filter, and computes the exact
 * cosine where it is not known yet. An index proposal that is no longer
 * current is retired from the index and the search runs again. When a filter
 * leaves fewer than k of a signal's proposals, the index is asked for more
 * (see `further`), so a filter never hides a match.
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
    const confirmed = confirm(db, [...found.vector, ...found.keyword], found.distances, query);
    if (found.index) {
      const stale = [...found.fromIndex].filter((seq) => !confirmed.visible.has(seq));
      if (stale.length > 0) {
        for (const seq of stale) found.index.retire(seq);
        continue;
      }
    }
    return assemble(db, found, confirmed.bySeq, query);
  }
}

type Proposals = {
  vector: { seq: number; distance?: number | undefined }[];
  keyword: { seq: number; bm25: number }[];
  /** The index that proposed (undefined: SQL did). */
  index: ScopeIndex | undefined;
  /** The query's terms as the index knows them (keyword proposals from the index). */
  terms?: string[];
  /** Seqs proposed by the index (not yet known to be current). */
  fromIndex: Set<number>;
  /** Exact distances known before confirmation. */
  distances: Map<number, number>;
};

function propose(db: Database, indexes: SearchIndexes, query: CandidateQuery, useIndexes: boolean): Proposals {
  const proposals: Proposals = { vector: [], keyword: [], index: undefined, fromIndex: new Set(), distances: new Map() };
  const wantsVectorIndex = query.vector !== undefined && !query.exact;
  const index = useIndexes ? indexes.forScope(query.scope, wantsVectorIndex ? query.vector?.length : undefined) : undefined;
  proposals.index = index;

  if (query.vector) {
    if (index?.vectors && wantsVectorIndex) {
      // Small scopes score every vector; sketched (large) ones only their sign-bit candidates.
      proposals.vector = index.vectorNearest(query.vector, query.k, sketchCandidates(query.k, index.aliveCount));
      for (const hit of proposals.vector) proposals.fromIndex.add(hit.seq);
    } else {
      proposals.vector = nearestVectors(db, query.vector, query.k, { scope: query.scope, at: query.at });
    }
    for (const hit of proposals.vector) if (hit.distance !== undefined) proposals.distances.set(hit.seq, hit.distance);
  }
  if (query.keyword) {
    if (index) {
      proposals.terms = indexes.tokenizer.terms(query.keyword.words.join(' '));
      proposals.keyword = index.keywordTop(proposals.terms, query.k);
      for (const hit of proposals.keyword) proposals.fromIndex.add(hit.seq);
    } else {
      proposals.keyword = keywordHits(db, query.keyword.fts, query.k, query.scope, { at: query.at }, query.filter);
    }
  }
  addDistances(proposals.distances, index, query, proposals.keyword);
  return proposals;
}

/** Keyword candidates' cosines, from the vectors in memory when the index holds them (else the confirming statement computes them). */
function addDistances(into: Map<number, number>, index: ScopeIndex | undefined, query: CandidateQuery, hits: readonly { seq: number }[]): void {
  if (!query.vector || !index?.vectors) return;
  const missing = hits.map((hit) => hit.seq).filter((seq) => !into.has(seq));
  for (const [seq, distance] of index.vectorDistances(query.vector, missing)) into.set(seq, distance);
}

type Confirmed = {
  /** Visible rows among the proposals, whether or not they pass the filter. */
  visible: Set<number>;
  /** Visible and passing the filter. */
  bySeq: Map<number, Candidate>;
};

/** One statement: the rows of `hits` (visible ones), whether they pass the filter, and exact distances where not `known`. */
function confirm(db: Database, hits: readonly { seq: number }[], known: ReadonlyMap<number, number>, query: CandidateQuery): Confirmed {
  const seqs = [...new Set(hits.map((hit) => hit.seq))];
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

function assemble(db: Database, proposals: Proposals, bySeq: Map<number, Candidate>, query: CandidateQuery): Candidates {
  const confirmedOf = <T extends { seq: number }>(hits: readonly T[]) => hits.filter((hit) => bySeq.has(hit.seq));
  let vector = confirmedOf(proposals.vector).map(({ seq }) => ({ seq, distance: (bySeq.get(seq) as Candidate).distance as number }));
  let keyword = confirmedOf(proposals.keyword);
  const { index } = proposals;
  const short = (found: number, proposed: number) => query.filter !== undefined && found < query.k && proposed >= query.k;
  let passingSeqs: number[] | undefined;
  const passing = () => (passingSeqs ??= passingFilter(db, query));

  if (query.vector && short(vector.length, proposals.vector.length)) {
    const q = query.vector;
    vector = index?.vectors
      ? further(db, index, query, bySeq, passing, (wanted) => index.vectorNearest(q, wanted, sketchCandidates(wanted, index.aliveCount)), (seqs) =>
          [...index.vectorDistances(q, seqs)].map(([seq, distance]) => ({ seq, distance })).sort((a, b) => a.distance - b.distance || a.seq - b.seq),
        )
      : confirmFiltered(db, query, bySeq, nearestFiltered(db, q, query));
    vector = vector.map(({ seq }) => ({ seq, distance: (bySeq.get(seq) as Candidate).distance as number }));
  }
  if (index && proposals.terms && short(keyword.length, proposals.keyword.length)) {
    const terms = proposals.terms;
    keyword = further(db, index, query, bySeq, passing, (wanted) => index.keywordTop(terms, wanted), (seqs) => {
      const allowed = new Set(seqs);
      return index.keywordTop(terms, index.aliveCount).filter((hit) => allowed.has(hit.seq));
    });
  }
  vector.sort((a, b) => a.distance - b.distance || a.seq - b.seq);
  return { vector, keyword, bySeq };
}

/**
 * The k best of one signal that pass the filter: `rank` is asked for 4× k,
 * and only those are confirmed; if too few pass, for as many more as the
 * share that passed says are needed. That is cheap while the filter passes a
 * fair share. When nothing passed, or the next try would cover a quarter of
 * the scope, reading which memories pass the filter (`passing`, read once per
 * search) is cheaper, and `rankAmong` ranks exactly those. Confirmed rows are
 * added to `bySeq`.
 */
function further<T extends { seq: number }>(
  db: Database,
  index: ScopeIndex,
  query: CandidateQuery,
  bySeq: Map<number, Candidate>,
  passing: () => number[],
  rank: (wanted: number) => T[],
  rankAmong: (seqs: number[]) => T[],
): T[] {
  for (let wanted = query.k * 4; wanted * 4 <= index.aliveCount; ) {
    const hits = rank(wanted);
    const found = confirmInto(db, query, bySeq, hits, distancesFromIndex(index, query, hits));
    if (found.length >= query.k) return found.slice(0, query.k);
    if (found.length === 0 || hits.length < wanted) break;
    wanted = Math.ceil(((query.k * 1.5) / found.length) * wanted);
  }
  const best = rankAmong(passing()).slice(0, query.k);
  return confirmInto(db, query, bySeq, best, distancesFromIndex(index, query, best));
}

/** Confirms `hits` (cosines `known`, or computed in SQL), adds their rows to `bySeq`, and keeps those that pass, in order. */
function confirmInto<T extends { seq: number }>(db: Database, query: CandidateQuery, bySeq: Map<number, Candidate>, hits: T[], known: ReadonlyMap<number, number>): T[] {
  const confirmed = confirm(db, hits.filter((hit) => !bySeq.has(hit.seq)), known, query);
  for (const [seq, candidate] of confirmed.bySeq) bySeq.set(seq, candidate);
  return hits.filter((hit) => bySeq.has(hit.seq));
}

/** SQL-found hits with their exact distances, confirmed into `bySeq`. */
function confirmFiltered(db: Database, query: CandidateQuery, bySeq: Map<number, Candidate>, hits: { seq: number; distance: number }[]): { seq: number; distance: number }[] {
  return confirmInto(db, query, bySeq, hits, new Map(hits.map((hit) => [hit.seq, hit.distance])));
}

/** `hits`' cosines from the vectors the index holds (none when it holds none). */
function distancesFromIndex(index: ScopeIndex, query: CandidateQuery, hits: readonly { seq: number }[]): Map<number, number> {
  const known = new Map<number, number>();
  addDistances(known, index, query, hits);
  return known;
}

/** The scope's current memories that pass the filter. */
function passingFilter(db: Database, query: CandidateQuery): number[] {
  const where = scopeWhere(query.scope, 'm');
  const valid = validityWhere({}, 'm');
  const filter = query.filter as SqlFragment;
  return db
    .prepare(`SELECT m.seq FROM memories m WHERE ${where.sql} AND ${valid.sql} AND ${filter.sql}`)
    .pluck()
    .all(...where.params, ...valid.params, ...filter.params) as number[];
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
