import type { HistoryEntry, MemoryItem, MemoryKind } from '../../schema.js';
import { toIso } from '../../time.js';
import { scopeOfRow } from '../../scope.js';

/**
 * A version row as the drivers return it. BIGINTs may arrive as strings (pg)
 * or numbers (PGlite), JSONB as parsed values: the mappers below normalize.
 */
export type MemoryRow = {
  seq: number | string;
  id: string;
  version: number;
  text: string;
  hash: string;
  kind: MemoryKind;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  metadata: unknown;
  created_at: number | string;
  updated_at: number | string;
  valid_from: number | string;
  valid_to: number | string | null;
  source: unknown;
  expires_at: number | string | null;
};

/** Every column of a version but the vector and the tsvector (never sent over the wire for a read). */
export const MEMORY_COLUMNS = (table: string) =>
  ['seq', 'id', 'version', 'text', 'hash', 'kind', 'user_id', 'agent_id', 'run_id', 'metadata', 'created_at', 'updated_at', 'valid_from', 'valid_to', 'source', 'expires_at']
    .map((column) => `${table}.${column}`)
    .join(', ');

export type HistoryRow = {
  id: number | string;
  memory_id: string;
  event: 'ADD' | 'UPDATE' | 'DELETE';
  old_text: string | null;
  new_text: string | null;
  old_metadata: unknown;
  new_metadata: unknown;
  actor: 'api' | 'llm' | 'user';
  reason: string | null;
  created_at: number | string;
};

export type MessageRow = {
  id: number | string;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  role: 'user' | 'assistant' | 'system';
  name: string | null;
  content: string;
  created_at: number | string;
  added_at: number | string;
};

/** Epoch ms (or a row number) from a BIGINT, whichever way the driver returned it. */
export const num = (value: number | string): number => Number(value);

/** A JSONB value, parsed (drivers parse JSONB; a text value is parsed here, so both work). */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** The public shape of a stored row, key for key as the SQLite engine builds it. */
export function toMemoryItem(row: MemoryRow): MemoryItem {
  const item: MemoryItem = {
    id: row.id,
    version: row.version,
    memory: row.text,
    hash: row.hash,
    kind: row.kind,
    metadata: json<Record<string, unknown>>(row.metadata),
    createdAt: toIso(num(row.created_at)),
    updatedAt: toIso(num(row.updated_at)),
    validFrom: toIso(num(row.valid_from)),
  };
  Object.assign(item, scopeOfRow(row));
  if (row.valid_to !== null) item.validTo = toIso(num(row.valid_to));
  if (row.expires_at !== null) item.expiresAt = toIso(num(row.expires_at));
  return item;
}

export function toHistoryEntry(row: HistoryRow): HistoryEntry {
  const entry: HistoryEntry = {
    id: num(row.id),
    memoryId: row.memory_id,
    event: row.event,
    actor: row.actor,
    createdAt: toIso(num(row.created_at)),
  };
  if (row.old_text !== null) entry.oldMemory = row.old_text;
  if (row.new_text !== null) entry.newMemory = row.new_text;
  if (row.old_metadata !== null) entry.oldMetadata = json<Record<string, unknown>>(row.old_metadata);
  if (row.new_metadata !== null) entry.newMetadata = json<Record<string, unknown>>(row.new_metadata);
  if (row.reason !== null) entry.reason = row.reason;
  return entry;
}

/** A vector as pgvector's text input ('[0.1,0.2]'): Float32 values print exactly as doubles and parse back to the same float4. */
export function vectorText(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/** Cosine distance (0..2, NaN for a zero vector) to the port's cosine similarity in [0, 1]; opposite or undefined directions count as unrelated. */
export function cosineOf(distance: number | string | null): number {
  const d = distance === null ? Number.NaN : Number(distance);
  if (Number.isNaN(d)) return 0;
  return Math.min(1, Math.max(0, 1 - d));
}
