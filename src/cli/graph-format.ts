import type { Entity, Neighbourhood, Relation } from '../index.js';

/** The day of an ISO time: relations are dated by day, as people say them. */
const day = (iso: string) => iso.slice(0, 10);

/**
 * One relation, for people: `alice —works_at→ Acme  (since 2025-01-10)`; one
 * that stopped or was retired says when: `(2025-01-10 to 2025-06-01, retired 2025-06-02)`.
 */
export function relationLine(relation: Relation): string {
  const span = relation.validTo === undefined ? `since ${day(relation.validFrom)}` : `${day(relation.validFrom)} to ${day(relation.validTo)}`;
  const retired = relation.retiredAt === undefined ? '' : `, retired ${day(relation.retiredAt)}`;
  return `${relation.source.name} —${relation.relation}→ ${relation.target.name}  (${span}${retired})`;
}

/** One line of `engram graph entities`: id, type, name, other names. */
export function entityLine(entity: Entity): string {
  const aliases = entity.aliases.length === 0 ? '' : `  (also: ${entity.aliases.join(', ')})`;
  return `${entity.id}  ${entity.type.padEnd(12)}  ${entity.name}${aliases}`;
}

/** `engram graph neighbours`: the entity, the entities reached with their distance, then the relations walked. */
export function neighbourhoodLines(found: Neighbourhood, depth: number): string[] {
  const { entity, entities, relations } = found;
  const head = `${entity.name} (${entity.type}, ${entity.id})`;
  if (entities.length === 0) return [`${head}: no relation links it to anything.`];
  return [
    `${head}, up to ${depth} ${depth === 1 ? 'relation' : 'relations'} away:`,
    ...entities.map((e) => `  ${e.distance}  ${e.name} (${e.type}, ${e.id})`),
    ...relations.map(relationLine),
  ];
}
