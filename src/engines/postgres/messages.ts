import type { ExportMessage } from '../../export-format.js';
import type { Scope } from '../../schema.js';
import type { NewMessage, StoredMessage } from '../../storage/storage.js';
import { num } from './rows.js';
import { exactScopeWhereNullable, validityWhere } from './scope-sql.js';
import type { SqlQueryable } from './sql-client.js';
import { SqlParams } from './sql-params.js';

/** Appends messages to the conversation log of exactly this scope; their ids in order. */
export async function appendMessages(sql: SqlQueryable, scope: Scope, messages: readonly NewMessage[], addedAt: number): Promise<number[]> {
  if (messages.length === 0) return [];
  const p = new SqlParams();
  const rows = messages.map(
    (m) =>
      `(${[scope.userId ?? null, scope.agentId ?? null, scope.runId ?? null, m.role, m.name, m.content, m.createdAt, addedAt].map((v) => p.add(v)).join(', ')})`,
  );
  const inserted = await sql.query<{ id: number | string }>(
    `INSERT INTO messages (user_id, agent_id, run_id, role, name, content, created_at, added_at) VALUES ${rows.join(', ')} RETURNING id`,
    p.values,
  );
  // One statement takes its ids from the sequence in VALUES order; RETURNING's order is not promised, the ids' is.
  return inserted.map((row) => num(row.id)).sort((a, b) => a - b);
}

type StoredMessageRow = { id: number | string; role: StoredMessage['role']; name: string | null; content: string; created_at: number | string };

const toStoredMessage = (row: StoredMessageRow): StoredMessage => ({ id: num(row.id), role: row.role, name: row.name, content: row.content, createdAt: num(row.created_at) });

/** The last `limit` messages logged in exactly this scope (before message `beforeId`, when given), oldest first. */
export async function recentMessages(sql: SqlQueryable, scope: Scope, limit: number, beforeId?: number): Promise<StoredMessage[]> {
  const p = new SqlParams();
  const before = beforeId === undefined ? '' : `AND m.id < ${p.add(beforeId)}`;
  const rows = await sql.query<StoredMessageRow>(
    `SELECT id, role, name, content, created_at FROM messages m WHERE ${exactScopeWhereNullable(scope, 'm', p)} ${before} ORDER BY id DESC LIMIT ${p.add(limit)}`,
    p.values,
  );
  return rows.reverse().map(toStoredMessage);
}

/** The logged messages with these ids, in id order (missing ids are skipped). */
export async function messagesById(sql: SqlQueryable, ids: readonly number[]): Promise<StoredMessage[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<StoredMessageRow>('SELECT id, role, name, content, created_at FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id', [[...ids]]);
  return rows.map(toStoredMessage);
}

export async function deleteMessages(sql: SqlQueryable, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query('DELETE FROM messages WHERE id = ANY($1::bigint[])', [[...ids]]);
}

/**
 * The id of the `occurrence`-th (from 0) logged message equal to this one (same
 * scope, role, name, text and time), if any: what makes import idempotent while
 * keeping a message said twice in one conversation twice.
 */
export async function findMessage(sql: SqlQueryable, message: ExportMessage, occurrence: number): Promise<number | undefined> {
  const p = new SqlParams();
  const where = [
    exactScopeWhereNullable(message, 'm', p),
    `m.role = ${p.add(message.role)}`,
    `m.name IS NOT DISTINCT FROM ${p.add(message.name ?? null)}::text`,
    `m.content = ${p.add(message.content)}`,
    `m.created_at = ${p.add(Date.parse(message.createdAt))}`,
  ];
  const rows = await sql.query<{ id: number | string }>(`SELECT m.id FROM messages m WHERE ${where.join(' AND ')} ORDER BY m.id LIMIT 1 OFFSET ${p.add(occurrence)}`, p.values);
  return rows[0] === undefined ? undefined : num(rows[0].id);
}

export async function insertImportedMessage(sql: SqlQueryable, message: ExportMessage): Promise<number> {
  const rows = await sql.query<{ id: number | string }>(
    `INSERT INTO messages (user_id, agent_id, run_id, role, name, content, created_at, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      message.userId ?? null,
      message.agentId ?? null,
      message.runId ?? null,
      message.role,
      message.name ?? null,
      message.content,
      Date.parse(message.createdAt),
      Date.parse(message.addedAt),
    ],
  );
  return num((rows[0] as { id: number | string }).id);
}

/** The messages each memory's visible version was stored from, of its own exact scope only (see the port's sourceMessages). */
export async function sourceMessages(sql: SqlQueryable, ids: readonly string[], at: number | undefined): Promise<Map<string, StoredMessage[]>> {
  if (ids.length === 0) return new Map();
  const p = new SqlParams();
  const rows = await sql.query<StoredMessageRow & { memory_id: string }>(
    `SELECT m.id AS memory_id, msg.id, msg.role, msg.name, msg.content, msg.created_at
     FROM memories m
     CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(m.source -> 'messageIds') = 'array' THEN m.source -> 'messageIds' ELSE '[]'::jsonb END) AS source(message_id)
     JOIN messages msg ON source.message_id ~ '^[0-9]{1,15}$' AND msg.id = source.message_id::bigint
       AND msg.user_id IS NOT DISTINCT FROM m.user_id AND msg.agent_id IS NOT DISTINCT FROM m.agent_id AND msg.run_id IS NOT DISTINCT FROM m.run_id
     WHERE m.id = ANY(${p.add([...ids])}::text[]) AND ${validityWhere(at, 'm', p)}
     ORDER BY msg.id`,
    p.values,
  );
  const found = new Map<string, StoredMessage[]>();
  for (const { memory_id, ...message } of rows) found.set(memory_id, [...(found.get(memory_id) ?? []), toStoredMessage(message)]);
  return found;
}
