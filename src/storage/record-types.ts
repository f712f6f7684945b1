/**
 * Every kind of record a store keeps. `forget` (purge), `reset` (clear),
 * `verify` and export/import must cover each one, on every engine; each
 * engine maps every record type to the tables that hold it (its
 * RECORD_TABLES), and the contract suite checks that every table of an
 * engine's schema belongs to a record type or is the engine's own
 * bookkeeping, and that forget and clear leave nothing behind in any of them.
 * A later record type (jobs, entities, relations) is added here first; the
 * suite then fails until every engine says where it lives.
 */
export const RECORD_TYPES = {
  /** A memory's versions, with their vectors and keyword entries. Scoped by its own scope. */
  memory: { scope: 'own' },
  /** A memory's change log. Scoped through its memory. */
  history: { scope: 'memory' },
  /** The conversation log of `add`. Scoped by its own scope. */
  message: { scope: 'own' },
  /** The extraction queue: an add waiting for (or done with) the LLM. Scoped by its own scope. */
  job: { scope: 'own' },
  /** An entity of the graph, with its name's vector. Scoped by its own scope. */
  entity: { scope: 'own' },
  /** A relation between two entities. Scoped by its own scope. */
  relation: { scope: 'own' },
  /** Which entities a memory names. Scoped through its memory. */
  mention: { scope: 'memory' },
  /** A user's, agent's or run's own policy (the store's own is configuration: bookkeeping). Scoped by its own scope. */
  policy: { scope: 'own' },
} as const;

export type RecordType = keyof typeof RECORD_TYPES;

/** Where an engine keeps each record type, and which tables are its own bookkeeping (schema version, model binding). */
export type RecordTables = { records: Record<RecordType, readonly string[]>; bookkeeping: readonly string[] };
