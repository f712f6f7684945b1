import type { Scope } from '../../schema.js';
import { isWholeStore, scopeOfRow } from '../../scope.js';
import { POLICY_KEY, readMeta, writeMeta } from './migrations.js';
import { exactScopeWhere, scopeWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

/** The policy kept for exactly this scope; the store's own (a meta row) for none. */
export async function readPolicy(sql: SqlQueryable, scope?: Scope): Promise<string | undefined> {
  if (isWholeStore(scope)) return readMeta(sql, POLICY_KEY);
  const p = new SqlParams();
  const rows = await sql.query<{ policy: string }>(`SELECT p.policy FROM policies p WHERE ${exactScopeWhere(scope as Scope, 'p', p)}`, p.values);
  return rows[0]?.policy;
}

export async function writePolicy(sql: SqlQueryable, json: string | undefined, scope: Scope | undefined, at: number): Promise<void> {
  if (isWholeStore(scope)) {
    if (json === undefined) await sql.query('DELETE FROM engram_meta WHERE key = $1', [POLICY_KEY]);
    else await writeMeta(sql, POLICY_KEY, json);
    return;
  }
  const exact = scope as Scope;
  if (json === undefined) {
    const p = new SqlParams();
    await sql.query(`DELETE FROM policies p WHERE ${exactScopeWhere(exact, 'p', p)}`, p.values);
    return;
  }
  await sql.query(
    `INSERT INTO policies (user_id, agent_id, run_id, policy, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ((coalesce(user_id, '')), (coalesce(agent_id, '')), (coalesce(run_id, ''))) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
    [exact.userId ?? null, exact.agentId ?? null, exact.runId ?? null, json, Math.trunc(at)],
  );
}

/** The policies of scopes (not the store's own): inside `scope`, or all; oldest first. */
export async function scopePolicies(sql: SqlQueryable, scope?: Scope): Promise<{ scope: Scope; json: string }[]> {
  const p = new SqlParams();
  const where = isWholeStore(scope) ? 'TRUE' : scopeWhere(scope as Scope, 'p', p);
  const rows = await sql.query<{ user_id: string | null; agent_id: string | null; run_id: string | null; policy: string }>(
    `SELECT p.user_id, p.agent_id, p.run_id, p.policy FROM policies p WHERE ${where} ORDER BY p.seq`,
    p.values,
  );
  return rows.map((row) => ({ scope: scopeOfRow(row), json: row.policy }));
}

/** Forgetting a scope takes its policies, and those of everything under it. */
export async function purgePolicies(sql: SqlQueryable, scope: Scope): Promise<void> {
  const p = new SqlParams();
  await sql.query(`DELETE FROM policies p WHERE ${scopeWhere(scope, 'p', p)}`, p.values);
}
