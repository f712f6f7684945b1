import { historyToImport, toExportRelation, type ExportEntity, type ExportMemory, type ExportMessage, type ExportRelation } from '../../export-format.js';
import type { EntityType } from '../../storage/graph-records.js';
import { toIso } from '../../time.js';
import { appendHistory } from './history.js';
import { insertVersion } from './memories.js';
import { type RelationRow, toRelationRecord } from './relations.js';
import { json, MEMORY_COLUMNS, type HistoryRow, type MemoryRow, type MessageRow, num, toHistoryEntry } from './rows.js';
import { scopeOfRow } from '../../scope.js';
import type { SqlQueryable } from './sql-client.js';

/** Records read per page: export pages through the tables instead of holding one transaction (and PGlite's only session) open while the consumer works. */
export const EXPORT_PAGE = 200;

/** Logged messages with ids above `after`, oldest first, as export records. */
export async function exportMessagePage(sql: SqlQueryable, after: number): Promise<ExportMessage[]> {
  const rows = await sql.query<MessageRow>('SELECT * FROM messages WHERE id > $1 ORDER BY id LIMIT $2', [after, EXPORT_PAGE]);
  return rows.map((row) => ({
    type: 'message',
    id: num(row.id),
    ...scopeOfRow(row),
    role: row.role,
    ...(row.name === null ? {} : { name: row.name }),
    content: row.content,
    createdAt: toIso(num(row.created_at)),
    addedAt: toIso(num(row.added_at)),
  }));
}

/**
 * The memories whose first version comes after row `afterSeq`, in insertion
 * order, each with all its versions and its history (read together, in one
 * transaction, so a memory is never exported half-changed); and the seq to
 * continue from.
 */
export async function exportMemoryPage(sql: SqlQueryable, afterSeq: number): Promise<{ records: ExportMemory[]; lastSeq: number | undefined }> {
  const firsts = await sql.query<{ seq: number | string; id: string }>('SELECT seq, id FROM memories WHERE version = 1 AND seq > $1 ORDER BY seq LIMIT $2', [
    afterSeq,
    EXPORT_PAGE,
  ]);
  if (firsts.length === 0) return { records: [], lastSeq: undefined };
  const ids = firsts.map((row) => row.id);
  const versions = await sql.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS('m')} FROM memories m WHERE m.id = ANY($1::text[]) ORDER BY m.id, m.version`, [ids]);
  const history = await sql.query<HistoryRow>('SELECT * FROM history WHERE memory_id = ANY($1::text[]) ORDER BY id', [ids]);
  const versionsOf = groupBy(versions, (row) => row.id);
  const historyOf = groupBy(history, (row) => row.memory_id);
  const records = ids.map((id): ExportMemory => {
    const all = versionsOf.get(id) ?? [];
    const first = all[0] as MemoryRow;
    return {
      type: 'memory',
      id,
      kind: first.kind,
      ...scopeOfRow(first),
      createdAt: toIso(num(first.created_at)),
      versions: all.map((v) => ({
        version: v.version,
        memory: v.text,
        metadata: json<ExportMemory['versions'][number]['metadata']>(v.metadata),
        validFrom: toIso(num(v.valid_from)),
        ...(v.valid_to === null ? {} : { validTo: toIso(num(v.valid_to)) }),
        ...(v.expires_at === null ? {} : { expiresAt: toIso(num(v.expires_at)) }),
        updatedAt: toIso(num(v.updated_at)),
        ...(v.source === null ? {} : { source: json<Record<string, unknown>>(v.source) }),
      })),
      history: (historyOf.get(id) ?? []).map((row) => {
        const { id: _id, memoryId: _memoryId, ...entry } = toHistoryEntry(row);
        return entry;
      }),
    };
  });
  return { records, lastSeq: num((firsts.at(-1) as { seq: number | string }).seq) };
}

/**
 * The entities inserted after row `afterSeq`, in insertion order, each with
 * the memories that name it; and the seq to continue from.
 */
export async function exportEntityPage(sql: SqlQueryable, afterSeq: number): Promise<{ records: ExportEntity[]; lastSeq: number | undefined }> {
  const rows = await sql.query<{
    seq: number | string;
    id: string;
    user_id: string | null;
    agent_id: string | null;
    run_id: string | null;
    name: string;
    type: EntityType;
    aliases: unknown;
    created_at: number | string;
    updated_at: number | string;
    memory_ids: string[];
  }>(
    `SELECT e.seq, e.id, e.user_id, e.agent_id, e.run_id, e.name, e.type, e.aliases, e.created_at, e.updated_at,
            ARRAY(SELECT me.memory_id FROM memory_entities me WHERE me.entity_id = e.id ORDER BY me.memory_id) AS memory_ids
     FROM entities e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
    [afterSeq, EXPORT_PAGE],
  );
  const records = rows.map(
    (row): ExportEntity => ({
      type: 'entity',
      id: row.id,
      ...scopeOfRow(row),
      name: row.name,
      entityType: row.type,
      aliases: json<string[]>(row.aliases),
      memoryIds: row.memory_ids,
      createdAt: toIso(num(row.created_at)),
      updatedAt: toIso(num(row.updated_at)),
    }),
  );
  const last = rows.at(-1);
  return { records, lastSeq: last === undefined ? undefined : num(last.seq) };
}

/** The relations inserted after row `afterSeq`, in insertion order, retired ones included; and the seq to continue from. */
export async function exportRelationPage(sql: SqlQueryable, afterSeq: number): Promise<{ records: ExportRelation[]; lastSeq: number | undefined }> {
  const rows = await sql.query<RelationRow & { seq: number | string }>(
    `SELECT r.* FROM relations r WHERE r.seq > $1 ORDER BY r.seq LIMIT $2`,
    [afterSeq, EXPORT_PAGE],
  );
  const records = rows.map((row) => toExportRelation(toRelationRecord(row)));
  const last = rows.at(-1);
  return { records, lastSeq: last === undefined ? undefined : num(last.seq) };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/**
 * Writes an imported memory as it was: every version with its own times and
 * vector, and its history (or, when the record has none, the history its
 * versions imply, so verify()'s invariants hold).
 */
export async function insertImportedMemory(sql: SqlQueryable, memory: ExportMemory, hashes: string[], vectors: Float32Array[]): Promise<void> {
  const scope = { ...(memory.userId === undefined ? {} : { userId: memory.userId }), ...(memory.agentId === undefined ? {} : { agentId: memory.agentId }), ...(memory.runId === undefined ? {} : { runId: memory.runId }) };
  for (const [i, v] of memory.versions.entries()) {
    await insertVersion(sql, {
      id: memory.id,
      version: v.version,
      text: v.memory,
      hash: hashes[i] as string,
      kind: memory.kind,
      scope,
      metadata: v.metadata,
      createdAt: Date.parse(memory.createdAt),
      updatedAt: Date.parse(v.updatedAt),
      validFrom: Date.parse(v.validFrom),
      validTo: v.validTo === undefined ? null : Date.parse(v.validTo),
      source: v.source ?? null,
      expiresAt: v.expiresAt === undefined ? null : Date.parse(v.expiresAt),
      embedding: vectors[i] as Float32Array,
    });
  }
  const history = historyToImport(memory);
  for (const entry of history) {
    await appendHistory(sql, {
      memoryId: memory.id,
      event: entry.event,
      oldText: entry.oldMemory ?? null,
      newText: entry.newMemory ?? null,
      oldMetadata: entry.oldMetadata ?? null,
      newMetadata: entry.newMetadata ?? null,
      actor: entry.actor,
      reason: entry.reason ?? null,
      createdAt: Date.parse(entry.createdAt),
    });
  }
}
