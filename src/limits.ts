/**
 * Size limits on everything that crosses the public API. They protect the store
 * and the models from runaway input; each is documented in the README.
 */
export const LIMITS = {
  /** Characters in one memory text, message, or search query. */
  maxTextLength: 16_000,
  /** Characters in a userId / agentId / runId. */
  maxScopeIdLength: 256,
  /** Messages in one `add` call. */
  maxMessagesPerAdd: 100,
  /** Bytes of metadata once serialized to JSON. */
  maxMetadataBytes: 16_384,
  /** Nesting depth of metadata objects and arrays. */
  maxMetadataDepth: 8,
  /** Keys in a metadata object (top level). */
  maxMetadataKeys: 64,
  /** Characters in a metadata key or filter key. */
  maxKeyLength: 128,
  /** Nesting depth of AND / OR / NOT in a filter. */
  maxFilterDepth: 8,
  /** Leaf conditions in one filter. */
  maxFilterConditions: 64,
  /** Results of one search. */
  maxSearchLimit: 200,
  /** Rows of one getAll page. */
  maxPageSize: 1_000,
} as const;

/** Characters in an entity's name or alias (longer names from a model are dropped). */
export const ENTITY_NAME_MAX = 200;
/** Characters in a relation's name (works_at, lives_in, …). */
export const RELATION_NAME_MAX = 64;
