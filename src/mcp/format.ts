import type { MemoryEvent, MemoryItem, Neighbourhood, Relation, ScoredMemory } from '../index.js';

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

/** One relation: `alice —works_at→ Acme (since 2025-01-10)`. */
function relationLine(r: Relation): string {
  const span = r.validTo === undefined ? `since ${r.validFrom.slice(0, 10)}` : `${r.validFrom.slice(0, 10)} to ${r.validTo.slice(0, 10)}`;
  return `${oneLine(r.source.name)} —${r.relation}→ ${oneLine(r.target.name)} (${span})`;
}

/** What the graph knows around an entity: the entity, then one line per relation. */
export function formatNeighbourhood(found: Neighbourhood, depth: number): string {
  const { entity, relations } = found;
  const aka = entity.aliases.length === 0 ? '' : `, also called ${entity.aliases.map(oneLine).join(', ')}`;
  const head = `${oneLine(entity.name)} (${entity.type}${aka})`;
  if (relations.length === 0) return `${head} is known, but no current relation links it to anything.`;
  const away = depth === 1 ? 'directly' : `up to ${depth} relations away`;
  return [`${relations.length} ${plural(relations.length, 'relation', 'relations')} around ${head}, ${away}:`, ...relations.map(relationLine)].join('\n');
}

/** search_graph for a name the graph does not hold. */
export function formatNotInGraph(name: string): string {
  return `Nothing named "${oneLine(name)}" is in this user's entity graph. search_memory may still find what they said about it.`;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
