import { historyToImport, toExportRelation, type ExportEntity, type ExportMemory, type ExportMessage, type ExportRelation } from '../export-format.js';
import type { EntityType } from '../storage/graph-records.js';
import { toIso } from '../time.js';
import type { Database } from './database.js';
import { appendHistory, historyOf } from './history.js';
import { insertMemory, type MemoryRow } from './memories.js';
import { toHistoryEntry } from './memory-item.js';
import type { MessageRow } from './messages.js';
import { toRelationRecord, type RelationRow } from './relations.js';
import { scopeOfRow } from '../scope.js';
import { insertVector, closeVector } from './vectors.js';

type FullMessageRow = MessageRow & { user_id: string | null; agent_id: string | null; run_id: string | null; added_at: number };

/** Up to `limit` logged messages after message `afterId`, as export records, oldest first. */
export function exportMessagePage(db: Database, afterId: number, limit: number): ExportMessage[] {
  const rows = db.prepare('SELECT * FROM messages WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as FullMessageRow[];
  return rows.map((row) => ({
    type: 'message',
    id: row.id,
    ...scopeOfRow(row),
    role: row.role,
    ...(row.name === null ? {} : { name: row.name }),
    content: row.content,
    createdAt: toIso(row.created_at),
    addedAt: toIso(row.added_at),
  }));
}

/**
 * Up to `limit` memories whose first version comes after row `afterSeq`, in
 * insertion order, each with all its versions and its history; and the row to
 * continue from (undefined when there are no more).
 */
export function exportMemoryPage(db: Database, afterSeq: number, limit: number): { records: ExportMemory[]; lastSeq: number | undefined } {
  const firsts = db.prepare('SELECT seq, id FROM memories WHERE version = 1 AND seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as { seq: number; id: string }[];
  const versionsOf = db.prepare('SELECT * FROM memories WHERE id = ? ORDER BY version');
  const records = firsts.map(({ id }): ExportMemory => {
    const versions = versionsOf.all(id) as MemoryRow[];
    const first = versions[0] as MemoryRow;
    return {
      type: 'memory',
      id,
      kind: first.kind,
      ...scopeOfRow(first),
      createdAt: toIso(first.created_at),
      versions: versions.map((v) => ({
        version: v.version,
        memory: v.text,
        metadata: JSON.parse(v.metadata) as ExportMemory['versions'][number]['metadata'],
        validFrom: toIso(v.valid_from),
        ...(v.valid_to === null ? {} : { validTo: toIso(v.valid_to) }),
        ...(v.expires_at === null ? {} : { expiresAt: toIso(v.expires_at) }),
        updatedAt: toIso(v.updated_at),
        ...(v.source === null ? {} : { source: JSON.parse(v.source) as Record<string, unknown> }),
      })),
      history: historyOf(db, id).map((row) => {
        const { id: _id, memoryId: _memoryId, ...entry } = toHistoryEntry(row);
        return entry;
      }),
    };
  });
  return { records, lastSeq: firsts.at(-1)?.seq };
}

type EntityExportRow = {
  seq: number;
  id: string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  name: string;
  type: EntityType;
  aliases: string;
  created_at: number;
  updated_at: number;
};

/**
 * Up to `limit` entities after row `afterSeq`, in insertion order, each with
 * the memories naming it; and the row to continue from (undefined when there are no more).
 */
export function exportEntityPage(db: Database, afterSeq: number, limit: number): { records: ExportEntity[]; lastSeq: number | undefined } {
  const rows = db
    .prepare('SELECT seq, id, user_id, agent_id, run_id, name, type, aliases, created_at, updated_at FROM entities WHERE seq > ? ORDER BY seq LIMIT ?')
    .all(afterSeq, limit) as EntityExportRow[];
  const namedBy = db.prepare('SELECT memory_id FROM memory_entities WHERE entity_id = ? ORDER BY memory_id').pluck();
  const records = rows.map(
    (row): ExportEntity => ({
      type: 'entity',
      id: row.id,
      ...scopeOfRow(row),
      name: row.name,
      entityType: row.type,
      aliases: JSON.parse(row.aliases) as string[],
      memoryIds: namedBy.all(row.id) as string[],
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }),
  );
  return { records, lastSeq: rows.at(-1)?.seq };
}

/** Up to `limit` relations after row `afterSeq`, in insertion order; and the row to continue from. */
export function exportRelationPage(db: Database, afterSeq: number, limit: number): { records: ExportRelation[]; lastSeq: number | undefined } {
  const rows = db.prepare('SELECT * FROM relations WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as (RelationRow & { seq: number })[];
  const records = rows.map((row) => toExportRelation(toRelationRecord(row)));
  return { records, lastSeq: rows.at(-1)?.seq };
}

/**
 * The id of the `occurrence`-th (from 0) logged message equal to this one (same
 * scope, role, name, text and time), if any: what makes import idempotent while
 * keeping a message said twice in one conversation twice.
 */
export function findMessage(db: Database, message: ExportMessage, occurrence: number): number | undefined {
  return db
    .prepare(
      `SELECT id FROM messages WHERE user_id IS ? AND agent_id IS ? AND run_id IS ? AND role = ? AND name IS ? AND content = ? AND created_at = ?
       ORDER BY id LIMIT 1 OFFSET ?`,
    )
    .pluck()
    .get(...messageValues(message), occurrence) as number | undefined;
}

export function insertImportedMessage(db: Database, message: ExportMessage): number {
  const insert = db.prepare(`INSERT INTO messages (user_id, agent_id, run_id, role, name, content, created_at, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  return Number(insert.run(...messageValues(message), Date.parse(message.addedAt)).lastInsertRowid);
}

/** What makes two logged messages the same: scope, role, name, text and time, in column order. */
function messageValues(message: ExportMessage): (string | number | null)[] {
  return [message.userId ?? null, message.agentId ?? null, message.runId ?? null, message.role, message.name ?? null, message.content, Date.parse(message.createdAt)];
}

/**
 * Writes an imported memory as it was: every version with its own times and
 * vector, and its history (or, when the record has none, the history its
 * versions imply, so the file's invariants hold). Call inside a transaction.
 */
export function insertImportedMemory(db: Database, memory: ExportMemory, hashes: string[], vectors: Float32Array[]): void {
  const scope = { user_id: memory.userId, agent_id: memory.agentId, run_id: memory.runId };
  memory.versions.forEach((v, i) => {
    const expiresAt = v.expiresAt === undefined ? null : Date.parse(v.expiresAt);
    const seq = insertMemory(db, {
      id: memory.id,
      version: v.version,
      text: v.memory,
      hash: hashes[i] as string,
      kind: memory.kind,
      user_id: memory.userId ?? null,
      agent_id: memory.agentId ?? null,
      run_id: memory.runId ?? null,
      metadata: JSON.stringify(v.metadata),
      created_at: Date.parse(memory.createdAt),
      updated_at: Date.parse(v.updatedAt),
      valid_from: Date.parse(v.validFrom),
      source: v.source === undefined ? null : JSON.stringify(v.source),
      expires_at: expiresAt,
    });
    insertVector(db, seq, vectors[i] as Float32Array, scope, Date.parse(v.validFrom), expiresAt);
    if (v.validTo !== undefined) {
      const validTo = Date.parse(v.validTo);
      db.prepare('UPDATE memories SET valid_to = ? WHERE seq = ?').run(validTo, seq);
      closeVector(db, seq, validTo, expiresAt);
    }
  });
  const history = historyToImport(memory);
  for (const entry of history) {
    appendHistory(db, {
      memory_id: memory.id,
      event: entry.event,
      old_text: entry.oldMemory ?? null,
      new_text: entry.newMemory ?? null,
      old_metadata: entry.oldMetadata === undefined ? null : JSON.stringify(entry.oldMetadata),
      new_metadata: entry.newMetadata === undefined ? null : JSON.stringify(entry.newMetadata),
      actor: entry.actor,
      reason: entry.reason ?? null,
      created_at: Date.parse(entry.createdAt),
    });
  }
}


