import { RELATION_NAME_MAX } from '../../limits.js';

/**
 * A relation's stored name: lower snake case ("Works at" → works_at), letters
 * and digits of any script kept; undefined when nothing usable is left or it
 * is too long to be a relation (hostile or confused output).
 */
export function relationName(raw: string): string | undefined {
  const name = raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/gu, '');
  if (name.length === 0 || name.length > RELATION_NAME_MAX) return undefined;
  return name;
}
