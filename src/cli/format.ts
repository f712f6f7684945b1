import type { HistoryEntry, MemoryEvent, MemoryItem, ScoredMemory } from '../index.js';
import type { CliIo } from './command.js';

/** The one JSON document a `--json` command prints. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** "2026-11-20 09:03" (UTC) — short enough for a listing; `get` and `--json` give the full ISO time. */
export function shortDate(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function metadataSuffix(metadata: Record<string, unknown>): string {
  return Object.keys(metadata).length === 0 ? '' : `  ${JSON.stringify(metadata)}`;
}

/** One line of `list`: id, since when, text, metadata. */
export function itemLine(item: MemoryItem): string {
  return `${item.id}  ${shortDate(item.validFrom)}  ${item.memory}${metadataSuffix(item.metadata)}`;
}

/** One line of `search` (and more with `--explain`). */
export function scoredLines(item: ScoredMemory): string[] {
  const lines = [`${item.score.toFixed(3)}  ${item.id}  ${item.memory}${metadataSuffix(item.metadata)}`];
  const s = item.signals;
  if (s) {
    const parts = [
      s.vector === undefined ? 'vector -' : `vector ${s.vector.toFixed(3)} (#${s.vectorRank ?? '?'})`,
      s.keyword === undefined ? 'keyword -' : `keyword ${s.keyword.toFixed(3)} (#${s.keywordRank ?? '?'})`,
      ...(s.recency === undefined ? [] : [`recency ${s.recency.toFixed(3)}`]),
      ...(s.importance === undefined ? [] : [`importance ${s.importance.toFixed(3)}`]),
      ...(s.neighbour === undefined ? [] : [`neighbour ${s.neighbour.toFixed(3)}`]),
      ...(s.time === undefined ? [] : ['in the time asked']),
      ...(s.entity === undefined ? [] : [`entity ${s.entity.toFixed(3)}`]),
      ...(s.rerank === undefined ? [] : [`rerank ${s.rerank.toFixed(3)}`]),
    ];
    lines.push(`       ${parts.join('  ')}`);
  }
  if (item.neighbours) {
    for (const m of item.neighbours.before) lines.push(`       before: [${m.validFrom.slice(0, 10)}] ${m.memory}`);
    for (const m of item.neighbours.after) lines.push(`       after:  [${m.validFrom.slice(0, 10)}] ${m.memory}`);
  }
  for (const m of item.sources ?? []) lines.push(`       said:   [${m.createdAt.slice(0, 10)}] ${m.role}${m.name ? ` (${m.name})` : ''}: ${m.content}`);
  return lines;
}

/** Every field of one memory, a line each (`get`, `update`). */
export function itemDetails(item: MemoryItem): string[] {
  const rows: [string, string | undefined][] = [
    ['id', item.id],
    ['memory', item.memory],
    ['version', String(item.version)],
    ['kind', item.kind],
    ['user', item.userId],
    ['agent', item.agentId],
    ['run', item.runId],
    ['metadata', Object.keys(item.metadata).length === 0 ? undefined : JSON.stringify(item.metadata)],
    ['valid', `from ${item.validFrom}${item.validTo ? ` to ${item.validTo}` : ''}`],
    ['expires', item.expiresAt],
    ['created', item.createdAt],
    ['updated', item.updatedAt],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== undefined).map(([key, value]) => `${key.padEnd(9)}${value}`);
}

/** One line per `add` result. */
export function eventLine(event: MemoryEvent): string {
  const was = event.previousMemory !== undefined && event.event === 'UPDATE' ? `  (was: ${event.previousMemory})` : '';
  return `${event.event.padEnd(6)}  ${event.id}  ${event.memory}${was}`;
}

/** One line per history entry, oldest first; a change of metadata is shown too (an update may change only that). */
export function historyLine(entry: HistoryEntry): string {
  let text: string;
  if (entry.event === 'UPDATE') {
    text = entry.oldMemory === entry.newMemory ? `"${entry.newMemory ?? ''}"` : `"${entry.oldMemory ?? ''}" → "${entry.newMemory ?? ''}"`;
    const before = JSON.stringify(entry.oldMetadata ?? {});
    const after = JSON.stringify(entry.newMetadata ?? {});
    if (before !== after) text += `  metadata ${before} → ${after}`;
  } else {
    text = `"${entry.event === 'DELETE' ? (entry.oldMemory ?? '') : (entry.newMemory ?? '')}"`;
  }
  const reason = entry.reason ? `  (${entry.reason})` : '';
  return `${shortDate(entry.createdAt)}  ${entry.event.padEnd(6)}  by ${entry.actor.padEnd(3)}  ${text}${reason}`;
}

/** "1 memory", "3 memories" */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
