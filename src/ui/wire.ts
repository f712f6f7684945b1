// What the API answers, typed by the functions that write it: the page and the server cannot drift apart.
import type {
  toWireEntity,
  toWireHistoryEntry,
  toWireJob,
  toWireMemory,
  toWireMessage,
  toWireRelation,
  toWireScopeOwner,
  toWireScoredMemory,
} from '../server/mem0-mapping.js';

/** JSON as it arrives: `undefined` fields are absent, Dates are strings. */
export type WireMemory = ReturnType<typeof toWireMemory>;
export type WireScoredMemory = ReturnType<typeof toWireScoredMemory>;
export type WireHistoryEntry = ReturnType<typeof toWireHistoryEntry>;
export type WireMessage = ReturnType<typeof toWireMessage>;
export type WireScopeOwner = ReturnType<typeof toWireScopeOwner>;
export type WireEntity = ReturnType<typeof toWireEntity>;
export type WireRelation = ReturnType<typeof toWireRelation>;
export type WireJob = ReturnType<typeof toWireJob>;

export type Erased = { memories: number; messages: number; jobs: number; entities: number; relations: number };

/** A user, agent or run: what the page looks at, and the query that selects it. */
export type Owner = { type: WireScopeOwner['type']; id: string };

export function scopeQuery(owner: Owner): Record<string, string> {
  return { [`${owner.type}_id`]: owner.id };
}
