import type { MemoryEvent, MemoryItem, ScoredMemory } from '../index.js';

/** One line of text, whatever the memory contains. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Search results, best first: `1. [0.83] I am allergic to penicillin. (id: …)`. */
export function formatSearch(query: string, results: ScoredMemory[]): string {
  if (results.length === 0) return `No memories match "${oneLine(query)}".`;
  const lines = results.map((r, i) => `${i + 1}. [${r.score.toFixed(2)}] ${oneLine(r.memory)} (id: ${r.id})`);
  return [`${results.length} ${plural(results.length, 'memory', 'memories')} for "${oneLine(query)}", best first (score 0-1):`, ...lines].join('\n');
}

/** Stored memories, newest first, with the date each became true. */
export function formatList(items: MemoryItem[]): string {
  if (items.length === 0) return 'No memories stored yet.';
  const lines = items.map((m, i) => `${i + 1}. ${oneLine(m.memory)} (id: ${m.id}, since ${m.validFrom.slice(0, 10)})`);
  return [`${items.length} ${plural(items.length, 'memory', 'memories')}, newest first:`, ...lines].join('\n');
}

/** What an add changed: one line per event. */
export function formatAdd(results: MemoryEvent[]): string {
  if (results.length === 0) return 'Nothing to remember in this text; no memory changed.';
  const lines = results.map((e) => {
    const text = oneLine(e.memory);
    switch (e.event) {
      case 'ADD':
        return `ADD     ${text} (id: ${e.id})`;
      case 'UPDATE':
        return `UPDATE  ${text} (was: ${oneLine(e.previousMemory ?? '')}) (id: ${e.id})`;
      case 'DELETE':
        return `DELETE  ${text} (id: ${e.id})`;
      case 'NONE':
        return `NONE    ${text} (already known; id: ${e.id})`;
    }
  });
  const changed = results.filter((e) => e.event !== 'NONE').length;
  return [`${changed} ${plural(changed, 'change', 'changes')}:`, ...lines].join('\n');
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
