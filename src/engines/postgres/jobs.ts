import type { Scope } from '../../schema.js';
import { scopeKey, scopeOfRow } from '../../scope.js';
import { JOB_CHANGE_COLUMNS, JOB_STATUSES, type JobChange, type JobCounts, type JobRecord, type JobStatus, type NewJob } from '../../storage/job-records.js';
import { json, num } from './rows.js';
import { scopeWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

/** The extraction queue's table (see storage/job-records.ts), as the drivers return its rows. */
type JobRow = {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  kind: JobRecord['kind'];
  status: JobStatus;
  message_ids: unknown;
  metadata: unknown;
  attempts: number;
  not_before: number | string;
  lease_owner: string | null;
  lease_expires_at: number | string | null;
  error: unknown;
  result: unknown;
  created_at: number | string;
  updated_at: number | string;
  finished_at: number | string | null;
  expires_at: number | string | null;
};

const COLUMNS = [
  'id',
  'user_id',
  'agent_id',
  'run_id',
  'kind',
  'status',
  'message_ids',
  'metadata',
  'attempts',
  'not_before',
  'lease_owner',
  'lease_expires_at',
  'error',
  'result',
  'created_at',
  'updated_at',
  'finished_at',
  'expires_at',
]
  .map((column) => `j.${column}`)
  .join(', ');

/** Written as the jobs_unfinished index's predicate, so PostgreSQL can use it. */
const unfinished = (table: string) => `${table}.status IN ('queued', 'running')`;

const asJson = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export async function insertJob(sql: SqlQueryable, job: NewJob): Promise<void> {
  await sql.query(
    `INSERT INTO jobs (id, scope_key, user_id, agent_id, run_id, kind, status, message_ids, metadata, created_at, updated_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7::text::jsonb, $8::text::jsonb, $9, $9, $10)`,
    [
      job.id,
      scopeKey(job.scope),
      job.scope.userId ?? null,
      job.scope.agentId ?? null,
      job.scope.runId ?? null,
      job.kind,
      JSON.stringify(job.messageIds),
      JSON.stringify(job.metadata),
      job.createdAt,
      job.expiresAt ?? null,
    ],
  );
}

export async function findJob(sql: SqlQueryable, id: string): Promise<JobRecord | undefined> {
  const rows = await sql.query<JobRow>(`SELECT ${COLUMNS} FROM jobs j WHERE j.id = $1`, [id]);
  return rows[0] && toJobRecord(rows[0]);
}

/** For each exact scope with unfinished jobs, its oldest unfinished one, oldest first (see StorageTransaction.jobHeads). */
export async function jobHeads(sql: SqlQueryable, limit: number, scope?: Scope): Promise<JobRecord[]> {
  const p = new SqlParams();
  const only = scope === undefined ? '' : `AND j.scope_key = ${p.add(scopeKey(scope))}`;
  const rows = await sql.query<JobRow>(
    `SELECT ${COLUMNS} FROM jobs j
     WHERE ${unfinished('j')} ${only}
       AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.scope_key = j.scope_key AND ${unfinished('e')} AND e.seq < j.seq)
     ORDER BY j.seq LIMIT ${p.add(limit)}`,
    p.values,
  );
  return rows.map(toJobRecord);
}

export async function unfinishedJobs(sql: SqlQueryable, scope: Scope, limit: number): Promise<JobRecord[]> {
  const rows = await sql.query<JobRow>(`SELECT ${COLUMNS} FROM jobs j WHERE j.scope_key = $1 AND ${unfinished('j')} ORDER BY j.seq LIMIT $2`, [
    scopeKey(scope),
    limit,
  ]);
  return rows.map(toJobRecord);
}

export type JobListQuery = { scope?: Scope | undefined; status?: readonly JobStatus[] | undefined; limit: number; offset: number };

/** Jobs of a scope (and everything under it), or of every scope, newest first. */
export async function listJobs(sql: SqlQueryable, query: JobListQuery): Promise<JobRecord[]> {
  const p = new SqlParams();
  const where = jobFilter(query.scope, query.status, p);
  const rows = await sql.query<JobRow>(`SELECT ${COLUMNS} FROM jobs j ${where} ORDER BY j.seq DESC LIMIT ${p.add(query.limit)} OFFSET ${p.add(query.offset)}`, p.values);
  return rows.map(toJobRecord);
}

/** Jobs per status (every status, zeros included), of a scope (and everything under it) or of every scope. */
export async function jobCounts(sql: SqlQueryable, scope?: Scope): Promise<JobCounts> {
  const p = new SqlParams();
  const where = jobFilter(scope, undefined, p);
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as JobCounts;
  const rows = await sql.query<{ status: JobStatus; n: number | string }>(`SELECT j.status, count(*) AS n FROM jobs j ${where} GROUP BY j.status`, p.values);
  for (const row of rows) counts[row.status] = num(row.n);
  return counts;
}

/** Sets the columns of the keys present in `change`, and only those. */
export async function updateJob(sql: SqlQueryable, id: string, change: JobChange): Promise<void> {
  const p = new SqlParams();
  const sets: string[] = [];
  for (const [key, column] of Object.entries(JOB_CHANGE_COLUMNS) as [keyof JobChange, string][]) {
    if (!(key in change)) continue;
    const value = change[key];
    sets.push(key === 'error' || key === 'result' ? `${column} = ${p.add(asJson(value))}::text::jsonb` : `${column} = ${p.add(value ?? null)}`);
  }
  await sql.query(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ${p.add(id)}`, p.values);
}

export async function deleteJob(sql: SqlQueryable, id: string): Promise<boolean> {
  return (await sql.query('DELETE FROM jobs WHERE id = $1 RETURNING 1', [id])).length > 0;
}

export async function pruneJobs(sql: SqlQueryable, finishedBefore: number): Promise<number> {
  return (await sql.query(`DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND finished_at < $1 RETURNING 1`, [finishedBefore])).length;
}

/** Removes every job of a scope (and everything under it); how many. */
export async function purgeJobs(sql: SqlQueryable, scope: Scope): Promise<number> {
  const p = new SqlParams();
  const rows = await sql.query<{ n: number | string }>(`WITH gone AS (DELETE FROM jobs j WHERE ${scopeWhere(scope, 'j', p)} RETURNING 1) SELECT count(*) AS n FROM gone`, p.values);
  return num(rows[0]?.n ?? 0);
}

function jobFilter(scope: Scope | undefined, status: readonly JobStatus[] | undefined, p: SqlParams): string {
  const clauses: string[] = [];
  if (scope !== undefined && Object.keys(scope).length > 0) clauses.push(scopeWhere(scope, 'j', p));
  // An empty list matches nothing, as in SQL's IN.
  if (status !== undefined) clauses.push(`j.status = ANY(${p.add([...status])}::text[])`);
  return clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
}

function toJobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    scope: scopeOfRow(row),
    kind: row.kind,
    status: row.status,
    messageIds: json<number[]>(row.message_ids),
    metadata: json<Record<string, unknown>>(row.metadata),
    attempts: row.attempts,
    notBefore: num(row.not_before),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : num(row.lease_expires_at),
    error: row.error === null ? null : json<JobRecord['error']>(row.error),
    result: row.result === null ? null : json<JobRecord['result']>(row.result),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    finishedAt: row.finished_at === null ? null : num(row.finished_at),
    expiresAt: row.expires_at === null ? null : num(row.expires_at),
  };
}
