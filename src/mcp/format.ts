import type { Neighbourhood, Relation } from '../index.js';

/** One line of text, whatever the memory contains. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
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
