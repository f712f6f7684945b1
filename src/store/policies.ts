import type { Scope } from '../schema.js';
import type { Database } from './database.js';
import { META_KEYS, readMeta, writeMeta } from './meta.js';
import { isWholeStore, scopeOfRow } from '../scope.js';
import { scopeColumns, scopeWhere } from './scope-sql.js';

const EXACT = "ifnull(user_id, '') = ? AND ifnull(agent_id, '') = ? AND ifnull(run_id, '') = ?";
const exactParams = (scope: Scope) => [scope.userId ?? '', scope.agentId ?? '', scope.runId ?? ''];
/** The policy kept for exactly this scope; the store's own (a meta row) for none. */
export function readPolicy(db: Database, scope?: Scope): string | undefined {
  if (isWholeStore(scope)) return readMeta(db, META_KEYS.policy);
  return db.prepare(`SELECT policy FROM policies WHERE ${EXACT}`).pluck().get(...exactParams(scope as Scope)) as string | undefined;
}

export function writePolicy(db: Database, json: string | undefined, scope: Scope | undefined, at: number): void {
  if (isWholeStore(scope)) {
    if (json === undefined) db.prepare('DELETE FROM meta WHERE key = ?').run(META_KEYS.policy);
    else writeMeta(db, META_KEYS.policy, json);
    return;
  }
  const exact = scope as Scope;
  if (json === undefined) {
    db.prepare(`DELETE FROM policies WHERE ${EXACT}`).run(...exactParams(exact));
    return;
  }
  const updated = db.prepare(`UPDATE policies SET policy = ?, updated_at = ? WHERE ${EXACT}`).run(json, at, ...exactParams(exact));
  if (updated.changes === 0) {
    db.prepare('INSERT INTO policies (user_id, agent_id, run_id, policy, updated_at) VALUES (?, ?, ?, ?, ?)').run(exact.userId ?? null, exact.agentId ?? null, exact.runId ?? null, json, at);
  }
}

/** The policies of scopes (not the store's own): inside `scope`, or all; oldest first. */
export function scopePolicies(db: Database, scope?: Scope): { scope: Scope; json: string }[] {
  const where = isWholeStore(scope) ? { sql: '1', params: [] as string[] } : scopeWhere(scopeColumns(scope as Scope), 'p');
  const rows = db.prepare(`SELECT p.user_id, p.agent_id, p.run_id, p.policy FROM policies p WHERE ${where.sql} ORDER BY p.seq`).all(...where.params) as {
    user_id: string | null;
    agent_id: string | null;
    run_id: string | null;
    policy: string;
  }[];
  return rows.map((row) => ({ scope: scopeOfRow(row), json: row.policy }));
}
