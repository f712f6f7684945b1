import type { Scope } from '../schema.js';
import { scopeKey, scopeOfRow } from '../scope.js';
import { JOB_CHANGE_COLUMNS, JOB_STATUSES, type JobChange, type JobCounts, type JobRecord, type JobStatus, type NewJob } from '../storage/job-records.js';
import type { Database } from './database.js';
import { scopeColumns, scopeWhere } from './scope-sql.js';

/** The extraction queue's table (see storage/job-records.ts). Call inside a transaction. */

type JobRow = {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  kind: JobRecord['kind'];
  status: JobStatus;
  message_ids: string;
  metadata: string;
  attempts: number;
  not_before: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  error: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  expires_at: number | null;
};

const UNFINISHED = `status IN ('queued', 'running')`;

export function insertJob(db: Database, job: NewJob): void {
  const columns = scopeColumns(job.scope);
  db.prepare(
    `INSERT INTO jobs (id, scope_key, user_id, agent_id, run_id, kind, status, message_ids, metadata, created_at, updated_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
  ).run(
    job.id,
    scopeKey(job.scope),
    columns.user_id ?? null,
    columns.agent_id ?? null,
    columns.run_id ?? null,
    job.kind,
    JSON.stringify(job.messageIds),
    JSON.stringify(job.metadata),
    job.createdAt,
    job.createdAt,
    job.expiresAt ?? null,
  );
}

export function findJob(db: Database, id: string): JobRecord | undefined {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row && toJobRecord(row);
}

export function jobHeads(db: Database, limit: number, scope?: Scope): JobRecord[] {
  const only = scope === undefined ? '' : 'AND j.scope_key = ?';
  const rows = db
    .prepare(
      `SELECT j.* FROM jobs j
       WHERE j.${UNFINISHED} ${only}
         AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.scope_key = j.scope_key AND e.${UNFINISHED} AND e.seq < j.seq)
       ORDER BY j.seq LIMIT ?`,
    )
    .all(...(scope === undefined ? [] : [scopeKey(scope)]), limit) as JobRow[];
  return rows.map(toJobRecord);
}

export function unfinishedJobs(db: Database, scope: Scope, limit: number): JobRecord[] {
  const rows = db.prepare(`SELECT * FROM jobs WHERE scope_key = ? AND ${UNFINISHED} ORDER BY seq LIMIT ?`).all(scopeKey(scope), limit) as JobRow[];
  return rows.map(toJobRecord);
}

export function listJobs(db: Database, options: { scope?: Scope | undefined; status?: readonly JobStatus[] | undefined; limit: number; offset: number }): JobRecord[] {
  const { where, params } = jobFilter(options.scope, options.status);
  const rows = db.prepare(`SELECT * FROM jobs j ${where} ORDER BY j.seq DESC LIMIT ? OFFSET ?`).all(...params, options.limit, options.offset) as JobRow[];
  return rows.map(toJobRecord);
}

export function jobCounts(db: Database, scope?: Scope): JobCounts {
  const { where, params } = jobFilter(scope, undefined);
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as JobCounts;
  for (const row of db.prepare(`SELECT j.status, count(*) AS n FROM jobs j ${where} GROUP BY j.status`).all(...params) as { status: JobStatus; n: number }[]) {
    counts[row.status] = row.n;
  }
  return counts;
}

export function updateJob(db: Database, id: string, change: JobChange): void {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [key, column] of Object.entries(JOB_CHANGE_COLUMNS) as [keyof JobChange, string][]) {
    if (!(key in change)) continue;
    const value = change[key];
    sets.push(`${column} = ?`);
    params.push(key === 'error' || key === 'result' ? (value === null || value === undefined ? null : JSON.stringify(value)) : (value ?? null));
  }
  db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
}

export function deleteJob(db: Database, id: string): boolean {
  return db.prepare('DELETE FROM jobs WHERE id = ?').run(id).changes > 0;
}

export function pruneJobs(db: Database, finishedBefore: number): number {
  return db.prepare(`DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND finished_at < ?`).run(finishedBefore).changes;
}

/** Removes every job of a scope (and everything under it); how many. */
export function purgeJobs(db: Database, scope: Scope): number {
  const where = scopeWhere(scopeColumns(scope), 'jobs');
  return db.prepare(`DELETE FROM jobs WHERE ${where.sql}`).run(...where.params).changes;
}

function jobFilter(scope: Scope | undefined, status: readonly JobStatus[] | undefined): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (scope !== undefined && Object.keys(scope).length > 0) {
    const where = scopeWhere(scopeColumns(scope), 'j');
    clauses.push(where.sql);
    params.push(...where.params);
  }
  if (status !== undefined) {
    clauses.push(`j.status IN (${status.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...status);
  }
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

function toJobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    scope: scopeOfRow(row),
    kind: row.kind,
    status: row.status,
    messageIds: JSON.parse(row.message_ids) as number[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    attempts: row.attempts,
    notBefore: row.not_before,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    error: row.error === null ? null : (JSON.parse(row.error) as JobRecord['error']),
    result: row.result === null ? null : (JSON.parse(row.result) as JobRecord['result']),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    expiresAt: row.expires_at,
  };
}
