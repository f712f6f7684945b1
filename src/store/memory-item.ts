import type { HistoryEntry, MemoryItem } from '../schema.js';
import { toIso } from '../time.js';
import type { HistoryRow } from './history.js';
import type { MemoryRow } from './memories.js';
import { scopeOfRow } from '../scope.js';

/** The public shape of a stored row: camelCase, ISO dates, parsed metadata, absent scope fields omitted. */
export function toMemoryItem(row: MemoryRow): MemoryItem {
  const item: MemoryItem = {
    id: row.id,
    version: row.version,
    memory: row.text,
    hash: row.hash,
    kind: row.kind,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    validFrom: toIso(row.valid_from),
  };
  Object.assign(item, scopeOfRow(row));
  if (row.valid_to !== null) item.validTo = toIso(row.valid_to);
  if (row.expires_at !== null) item.expiresAt = toIso(row.expires_at);
  return item;
}

export function toHistoryEntry(row: HistoryRow): HistoryEntry {
  const entry: HistoryEntry = {
    id: row.id,
    memoryId: row.memory_id,
    event: row.event,
    actor: row.actor,
    createdAt: toIso(row.created_at),
  };
  if (row.old_text !== null) entry.oldMemory = row.old_text;
  if (row.new_text !== null) entry.newMemory = row.new_text;
  if (row.old_metadata !== null) entry.oldMetadata = JSON.parse(row.old_metadata) as Record<string, unknown>;
  if (row.new_metadata !== null) entry.newMetadata = JSON.parse(row.new_metadata) as Record<string, unknown>;
  if (row.reason !== null) entry.reason = row.reason;
  return entry;
}
