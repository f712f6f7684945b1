import type { MemoryItem, Scope } from '../../schema.js';
import type { CandidateQuery, Candidates } from '../../storage/storage.js';
import { compileFilter } from './filter-sql.js';
import { keywordWords } from './keyword-words.js';
import { cosineOf, MEMORY_COLUMNS, type MemoryRow, num, toMemoryItem, vectorText } from './rows.js';
import { exactScopeWhere, scopeWhere, validityWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

const COLUMNS = MEMORY_COLUMNS('m');

/** What the installed pgvector can do, read once at open. */
export type VectorFeatures = {
  /** The HNSW index exists (dimension ≤ 2000). */
  hnsw: boolean;
  /** pgvector ≥ 0.8: HNSW scans go on until enough rows pass the WHERE clause. */
  iterativeScan: boolean;
};

type ScoredRow = MemoryRow & { distance: number | string | null };
type RankedRow = ScoredRow & { rank: number | string };

/**
 * Search candidates of a scope, each signal filtered and checked for
 * validity in SQL. Call inside a read transaction (SET LOCAL needs one).
 */
export async function searchCandidates(sql: SqlQueryable, query: CandidateQuery, features: VectorFeatures): Promise<Candidates> {
  const vectorRows = query.vector ? await vectorCandidates(sql, query, query.vector, features) : [];
  const words = query.keyword === undefined ? [] : keywordWords(query.keyword);
  const keywordRows = words.length > 0 && query.k >= 1 ? await keywordCandidates(sql, query, words) : [];

  const byId = new Map<string, { item: MemoryItem; cosine: number | undefined }>();
  const add = (row: ScoredRow) => {
    if (!byId.has(row.id)) byId.set(row.id, { item: toMemoryItem(row), cosine: query.vector ? cosineOf(row.distance) : undefined });
  };
  vectorRows.forEach(add);
  keywordRows.forEach(add);
  return {
    vector: vectorRows.map((row) => ({ id: row.id, cosine: cosineOf(row.distance) })),
    keyword: keywordRows.map((row) => {
      const r = Number(row.rank);
      return { id: row.id, keyword: r / (1 + r) };
    }),
    byId,
  };
}

/** The WHERE clause every candidate passes: scope, validity, filter. */
function candidateWhere(query: CandidateQuery, p: SqlParams): string {
  const where = [scopeWhere(query.scope, 'm', p), validityWhere(query.at, 'm', p)];
  if (query.filter) where.push(compileFilter(query.filter, 'm.metadata', p));
  return where.join(' AND ');
}

/**
 * The k nearest visible versions by cosine distance. Current versions use the
 * HNSW index (approximate) unless `exact`; if it yields fewer than k, the
 * exact scan answers, so a selective filter never hides a match.
 */
/** HNSW candidates examined per search, at least (see vectorCandidates). */
const EF_SEARCH = 200;

async function vectorCandidates(sql: SqlQueryable, query: CandidateQuery, vector: Float32Array, features: VectorFeatures): Promise<ScoredRow[]> {
  const k = Math.trunc(query.k);
  if (k < 1) return [];
  if (!query.exact && query.at === undefined && features.hnsw) {
    // Both values are integers computed here: SET takes no parameters.
    // pgvector's default (40) found 0.45 of the true top 10 at 10k for queries unlike the stored texts; 200: 0.64,
    // for a few ms more (npm run bench:postgres). Queries like the stored texts find 1.0 either way.
    await sql.query(`SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(EF_SEARCH, 2 * k))}`);
    if (features.iterativeScan) await sql.query(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
    const p = new SqlParams();
    const q = `${p.add(vectorText(vector))}::text::vector`;
    const rows = await sql.query<ScoredRow>(
      `SELECT ${COLUMNS}, m.embedding <=> ${q} AS distance FROM memories m
       WHERE ${candidateWhere(query, p)} AND m.embedding IS NOT NULL
       ORDER BY m.embedding <=> ${q} LIMIT ${p.add(k)}`,
      p.values,
    );
    // relaxed_order may return neighbours slightly out of order.
    if (rows.length >= k) return sortByDistance(rows);
  }
  return exactNearest(sql, vector, k, (p) => candidateWhere(query, p));
}

/**
 * Exact k nearest: the distance is computed in a subquery that OFFSET 0 keeps
 * from being flattened, so the ORDER BY cannot be served by the HNSW index.
 */
async function exactNearest(sql: SqlQueryable, vector: Float32Array, k: number, where: (p: SqlParams) => string): Promise<ScoredRow[]> {
  const p = new SqlParams();
  const q = `${p.add(vectorText(vector))}::text::vector`;
  const rows = await sql.query<ScoredRow>(
    `SELECT * FROM (
       SELECT ${COLUMNS}, m.embedding <=> ${q} AS distance FROM memories m
       WHERE ${where(p)} AND m.embedding IS NOT NULL OFFSET 0
     ) s ORDER BY s.distance, s.seq LIMIT ${p.add(k)}`,
    p.values,
  );
  return rows;
}

/** Best first; a zero vector's NaN distance counts as unrelated (last). */
function sortByDistance(rows: ScoredRow[]): ScoredRow[] {
  const key = (row: ScoredRow) => {
    const d = Number(row.distance);
    return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  };
  return rows.sort((a, b) => key(a) - key(b) || num(a.seq) - num(b.seq));
}

/**
 * The k best visible versions by ts_rank_cd for the words ORed: the words are
 * one bound text[], joined into websearch_to_tsquery's "or" syntax, which
 * never fails to parse. The tsquery is written inline (not as a joined
 * function) so the planner can answer `tsv @@ …` from the GIN index. The
 * cosine of each comes along when a vector was given.
 */
async function keywordCandidates(sql: SqlQueryable, query: CandidateQuery, words: string[]): Promise<RankedRow[]> {
  const p = new SqlParams();
  const tsquery = `websearch_to_tsquery('english', array_to_string(${p.add(words)}::text[], ' or '))`;
  const distance = query.vector ? `m.embedding <=> ${p.add(vectorText(query.vector))}::text::vector` : 'NULL::float8';
  return sql.query<RankedRow>(
    `SELECT ${COLUMNS}, ts_rank_cd(m.tsv, ${tsquery}) AS rank, ${distance} AS distance
     FROM memories m
     WHERE m.tsv @@ ${tsquery} AND ${candidateWhere(query, p)}
     ORDER BY rank DESC, m.seq LIMIT ${p.add(Math.trunc(query.k))}`,
    p.values,
  );
}

/** The k current memories nearest to `vector` by exact cosine, in the scope or (exactScope) exactly that scope. */
export async function nearest(sql: SqlQueryable, vector: Float32Array, k: number, scope: Scope, exactScope: boolean): Promise<{ item: MemoryItem; cosine: number }[]> {
  if (Math.trunc(k) < 1) return [];
  const rows = await exactNearest(sql, vector, Math.trunc(k), (p) => `${exactScope ? exactScopeWhere(scope, 'm', p) : scopeWhere(scope, 'm', p)} AND ${validityWhere(undefined, 'm', p)}`);
  return rows.map((row) => ({ item: toMemoryItem(row), cosine: cosineOf(row.distance) }));
}
