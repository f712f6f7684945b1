/**
 * The order of every ranked list of search: best score first; ties go to the
 * lower id, which for memories is the older one (ids are UUIDv7, ordered by
 * creation time).
 */
export function bestFirst<Id extends string | number>(a: { id: Id; score: number }, b: { id: Id; score: number }): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
