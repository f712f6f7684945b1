import type { ScopeOwnerPage } from './scope-owners.js';
import type { ExportMemory, ExportMessage, ExportRecord } from '../export-format.js';
import type { FilterNode } from '../filter.js';
import type { HistoryEntry, MemoryItem, MemoryKind, Scope } from '../schema.js';
import type { EntityChange, EntityRecord, RelationQuery, RelationRecord } from './graph-records.js';
import type { JobChange, JobCounts, JobRecord, JobStatus, NewJob } from './job-records.js';

/**
 * The storage port: everything the pipelines and `Memory` may ask of a
 * database, and nothing of how one engine answers it. Records are named by
 * domain ids (a memory's id and version, a message's id), never by an
 * engine's row numbers; queries take scopes and filter trees, never SQL;
 * search returns engine-independent signals (see Candidates). Engines live
 * in src/engines/ and are the only modules that see SQL.
 *
 * Every call is asynchronous (a server engine answers over the network).
 * Changes happen inside `transaction('write', …)`: all of them land or none.
 */
export interface Storage {
  /** Which engine answers: for messages and `doctor`, never for branching the pipelines. */
  readonly engine: StorageEngineName;
  /**
   * Runs `work` inside one transaction. 'write': every change lands or none
   * (an error rolls back); 'read': one consistent view. Never call `transaction`
   * again from inside `work`, and never wait for a model inside a write: embed first.
   */
  transaction<T>(mode: TransactionMode, doing: string, work: (tx: StorageTransaction) => Promise<T>): Promise<T>;
  /** Candidates of a search in a scope, confirmed (visible at the time asked, passing the filter). Runs its own read. */
  searchCandidates(query: CandidateQuery): Promise<Candidates>;
  /**
   * Binds this connection to an embedding model: the store's model, or the
   * first one. Later writes and vector searches fail with EMBEDDING_MISMATCH
   * once another connection switched the store to another model.
   */
  bindEmbeddingModel(modelId: string, dimension: number): Promise<void>;
  embeddingModel(): Promise<{ id: string; dimension: number } | undefined>;
  /** Every structural invariant checked; the violations found (none when healthy). */
  verify(): Promise<string[]>;
  /** Every record in Engram's portable format: header, messages, memories, entities, relations (queued adds: Memory.export adds them). */
  exportRecords(): AsyncGenerator<ExportRecord>;
  close(): Promise<void>;
}

export type StorageEngineName = 'sqlite' | 'postgres';
export type TransactionMode = 'read' | 'write';
export type HistoryActor = 'user' | 'llm' | 'api';
export type ReadOptions = { at?: number | undefined };

/** The repositories inside one transaction. Times are epoch milliseconds. */
export interface StorageTransaction {
  // ---- memories: reads ----
  /** The current version of a memory, or the version valid at `at`. */
  memory(id: string, options?: ReadOptions): Promise<MemoryItem | undefined>;
  /** The scope a memory (current or closed) belongs to; undefined when no such id was ever stored. */
  scopeOfMemory(id: string): Promise<Scope | undefined>;
  /** The current memory of exactly this scope whose text has this hash. */
  currentMemoryByHash(scope: Scope, hash: string): Promise<MemoryItem | undefined>;
  /** Visible memories of a scope (the scope and everything under it), newest first (created_at, then insertion order), paged. */
  list(scope: Scope, options: { filter?: FilterNode | undefined; limit: number; offset: number; at?: number | undefined }): Promise<MemoryItem[]>;
  /** How many memories `list` would show across all its pages. */
  count(scope: Scope, options: { filter?: FilterNode | undefined; at?: number | undefined }): Promise<number>;
  /** How many current memories a scope (and everything under it) holds. */
  countCurrent(scope: Scope): Promise<number>;
  /** Ids of every current memory of a scope (and everything under it). */
  currentIds(scope: Scope): Promise<string[]>;
  /** Every user, agent and run id holding current memories, most recently changed first, paged. */
  scopeOwners(options: { limit: number; offset: number }): Promise<ScopeOwnerPage>;
  /** The k current memories nearest to `vector` by exact cosine, best first; `exactScope`: only memories of exactly this scope. */
  nearest(vector: Float32Array, k: number, scope: Scope, options?: { exactScope?: boolean }): Promise<{ item: MemoryItem; cosine: number }[]>;
  /**
   * For each of these memories stored as said (from one message, `infer: false`: its source names the
   * message's role), the memories stored as said just before and after it, in its exact scope: at most `window` on each side,
   * in storage order, visible now (or at `at`) and passing `filter`, each side oldest first. A
   * side ends where world time (validFrom) jumps by more than `gapMs`: the conversation's next session. Ids with
   * none (or not visible, or inferred) are left out of the map.
   */
  adjacentMemories(ids: readonly string[], options: AdjacencyOptions): Promise<Map<string, Adjacent>>;
  /**
   * The logged messages each of these memories (the version visible now, or at `at`) was stored from, in id
   * order; only messages of the memory's own exact scope (a source naming another scope's message names
   * nothing). Memories with none are left out.
   */
  sourceMessages(ids: readonly string[], at?: number): Promise<Map<string, StoredMessage[]>>;
  history(id: string): Promise<HistoryEntry[]>;

  // ---- memories: writes ----
  /** Inserts a new memory (version 1) with its vector and an ADD history entry. */
  insertMemory(memory: NewMemory, at: number, actor: HistoryActor): Promise<MemoryItem>;
  /** Closes the current version and adds the next (same id); undefined when the memory is no longer current. */
  reviseMemory(id: string, revision: Revision, at: number, actor: HistoryActor, reason?: string): Promise<MemoryItem | undefined>;
  /** Ends a current memory's validity (it stays in history and asOf); whether it was current. */
  closeMemory(id: string, at: number, actor: HistoryActor, reason?: string, validTo?: number): Promise<boolean>;

  // ---- expiry (a memory with expiresAt leaves every read of a later instant; see "Expiry" below) ----
  /** Ids of memories that expired at or before `now` (in a scope and everything under it, or anywhere), oldest first. */
  expiredMemoryIds(now: number, scope?: Scope): Promise<string[]>;
  /**
   * Erases these memories for good: every version with its vector and keyword entry, their history, which
   * entities they name, the relations they stated, entities left naming nothing (no mention, no relation), and
   * logged messages only they cited (a message another memory's version, a relation or an unfinished or
   * failed job cites stays). Unknown ids are skipped.
   */
  eraseMemories(ids: readonly string[]): Promise<ErasedCounts>;

  // ---- use (a policy's trackAccess; see "Use" below) ----
  /** Marks the current versions of these memories as used at `at` (ms): their last use becomes `at` when that is later. Unknown or non-current ids are skipped. */
  recordAccess(ids: readonly string[], at: number): Promise<void>;
  /** When each of these memories' current versions was last used (memories never used are left out). */
  lastAccess(ids: readonly string[]): Promise<Map<string, number>>;

  // ---- policies (what the store, or a scope, may hold; see PolicySchema and "Policies" below) ----
  /** The policy kept for exactly this scope (none or `{}`: the store's own), as written (JSON), or undefined. */
  policy(scope?: Scope): Promise<string | undefined>;
  /** Keeps this policy (JSON) for exactly this scope (none or `{}`: the store's own); undefined removes it. */
  setPolicy(json: string | undefined, scope?: Scope): Promise<void>;
  /** The policies of scopes (not the store's own): of a scope and everything under it, or of every scope; oldest first. */
  scopePolicies(scope?: Scope): Promise<{ scope: Scope; json: string }[]>;

  // ---- messages ----
  /** Appends messages to the conversation log of exactly this scope; their ids in order. */
  appendMessages(scope: Scope, messages: readonly NewMessage[], at: number): Promise<number[]>;
  /** The last `limit` messages logged in exactly this scope (before message `beforeId`, when given), oldest first. */
  recentMessages(scope: Scope, limit: number, beforeId?: number): Promise<StoredMessage[]>;
  /** The logged messages with these ids, in id order (missing ids are skipped). */
  messagesById(ids: readonly number[]): Promise<StoredMessage[]>;
  /** Removes logged messages (those of a waited add that failed: nothing of it stays). */
  deleteMessages(ids: readonly number[]): Promise<void>;

  // ---- jobs (the extraction queue) ----
  insertJob(job: NewJob): Promise<void>;
  job(id: string): Promise<JobRecord | undefined>;
  /**
   * For each exact scope with unfinished (queued or running) jobs, its oldest
   * unfinished job, oldest first: the only job of that scope a worker may
   * claim. `scope`: only the head of exactly this scope.
   */
  jobHeads(limit: number, scope?: Scope): Promise<JobRecord[]>;
  /** Unfinished jobs of exactly this scope, oldest first. */
  unfinishedJobs(scope: Scope, limit: number): Promise<JobRecord[]>;
  /** Jobs of a scope (and everything under it), or of every scope, newest first. */
  listJobs(options: { scope?: Scope | undefined; status?: readonly JobStatus[] | undefined; limit: number; offset: number }): Promise<JobRecord[]>;
  /** Jobs per status, of a scope (and everything under it) or of every scope. */
  jobCounts(scope?: Scope): Promise<JobCounts>;
  updateJob(id: string, change: JobChange): Promise<void>;
  deleteJob(id: string): Promise<boolean>;
  /** Removes done and cancelled jobs that finished before this instant (failed ones stay until retried or cancelled); how many. */
  pruneJobs(finishedBefore: number): Promise<number>;

  // ---- the entity graph ----
  /** Entities of a scope and everything under it (`exactScope`: of exactly this scope), oldest first. */
  entities(scope: Scope, options?: { exactScope?: boolean | undefined }): Promise<EntityRecord[]>;
  /** Entities with these ids (missing ids skipped), in no particular order. */
  entitiesById(ids: readonly string[]): Promise<EntityRecord[]>;
  /** Stores a new entity; fails when its id, or its key in its exact scope, is taken. */
  insertEntity(entity: EntityRecord): Promise<void>;
  updateEntity(id: string, change: EntityChange): Promise<void>;
  /**
   * Removes an entity merged into another: its relations and mentions move to `into` first
   * (a relation that would then link `into` to itself is removed: it named one entity twice, it stated no fact).
   */
  mergeEntity(id: string, into: string): Promise<void>;
  /** Relations of a scope and everything under it, oldest first (by recordedAt, then insertion). */
  relations(scope: Scope, query?: RelationQuery): Promise<RelationRecord[]>;
  /** Stores a new relation; its entities must exist and belong to its exact scope. */
  insertRelation(relation: RelationRecord): Promise<void>;
  /**
   * Retires a current relation: retiredAt = at, and validTo = `validTo` when it was still true (each clamped so it
   * never ends before it began). Whether it was current.
   */
  retireRelation(id: string, at: number, validTo: number): Promise<boolean>;
  /** Sets which entities a memory names (replacing the previous set); the memory and entities must share its exact scope. */
  setMentions(memoryId: string, entityIds: readonly string[]): Promise<void>;
  /** The entities each of these memories names. */
  mentions(memoryIds: readonly string[]): Promise<Map<string, string[]>>;
  /** For each of these entities, how many current memories name it (entities no current memory names are left out). */
  mentionCounts(entityIds: readonly string[]): Promise<Map<string, number>>;
  /** Ids of current memories naming any of these entities, with how many of them each names, most first, at most `limit`. */
  memoriesMentioning(entityIds: readonly string[], limit: number): Promise<{ memoryId: string; count: number }[]>;

  // ---- every record type ----
  /** Erases a scope (and everything under it) for good: every record of every type, its policies too. */
  purge(scope: Scope): Promise<{ memories: number; messages: number; jobs: number; entities: number; relations: number }>;
  /** Erases every record of every type; keeps the schema and the embedding binding. */
  clear(): Promise<void>;
  /** Whether a memory with this id was ever stored. */
  hasMemory(id: string): Promise<boolean>;
  /** Logs an imported message unless the `occurrence`-th equal one is logged already. */
  importMessage(message: ExportMessage, occurrence: number): Promise<{ id: number; added: boolean }>;
  /** Writes an imported memory with all its versions unless its id exists or its current text is current in its scope. */
  importMemory(memory: ExportMemory, hashes: string[], vectors: Float32Array[]): Promise<boolean>;
}

/** What eraseMemories (and `purgeExpired`) erased: memories, and the messages, entities and relations only they held. */
export type ErasedCounts = { memories: number; messages: number; entities: number; relations: number };

/** The memories stored before and after one, each side oldest first. */
export type Adjacent = { before: MemoryItem[]; after: MemoryItem[] };

export type AdjacencyOptions = { window: number; gapMs: number; at?: number | undefined; filter?: FilterNode | undefined };

/*
 * Expiry. A version with `expiresAt` is visible at instant t only while
 * t < expiresAt, besides its validity (validFrom <= t < validTo): current reads
 * (t = now) and point-in-time reads alike. Every read of the port applies it,
 * and so do reviseMemory and closeMemory (an expired memory cannot change).
 * An expired version stays a row (history, asOf) until eraseMemories. When a
 * text is stored again in the scope where it expired, insertMemory (and
 * importMemory) first closes the expired version: validTo = max(expiresAt,
 * validFrom), with a DELETE history entry by 'api', reason "expired".
 */

/*
 * Policies. The store's own policy is configuration: `clear` keeps it. A
 * scope's own policy (a user's, an agent's, a run's) is a record of that
 * scope: `purge` of the scope or of one above it erases it, and so does `clear`.
 */

/*
 * Use. A memory's last use (recordAccess) is kept on its current version and
 * is not a change: no new version, no history entry, not exported. A new
 * version starts unused (it is newer than any use of the old one anyway), and
 * the use goes with the memory when it is erased.
 */

export type NewMemory = {
  id: string;
  text: string;
  hash: string;
  kind: MemoryKind;
  scope: Scope;
  metadata: Record<string, unknown>;
  validFrom: number;
  source: Record<string, unknown> | null;
  embedding: Float32Array;
  /** When it leaves reads (ms); null or absent: never. */
  expiresAt?: number | null | undefined;
};

export type Revision = {
  text: string;
  hash: string;
  metadata: Record<string, unknown>;
  /** The new text's vector; omitted when the text is unchanged (the old vector is reused). */
  embedding?: Float32Array | undefined;
  /** When the new version starts being true (and the old one stops). */
  validFrom: number;
  source?: Record<string, unknown> | null | undefined;
  /** When the new version leaves reads (ms); null: never; undefined: as the version it replaces. */
  expiresAt?: number | null | undefined;
};

export type NewMessage = { role: 'user' | 'assistant' | 'system'; name: string | null; content: string; createdAt: number };
export type StoredMessage = NewMessage & { id: number };

export type CandidateQuery = {
  scope: Scope;
  /** Candidates wanted per signal. */
  k: number;
  /** The embedded query: vector candidates, and the cosine of every candidate. */
  vector?: Float32Array | undefined;
  /** The user's query text: keyword candidates (each engine builds its own safe query from it). */
  keyword?: string | undefined;
  filter?: FilterNode | undefined;
  /** Versions valid at this instant (ms); current versions when undefined. */
  at?: number | undefined;
  /** Exact vector search, never an approximate index (the reference for recall). */
  exact?: boolean | undefined;
};

/**
 * Search candidates with engine-independent signals: `cosine` is the cosine
 * similarity to the query vector; `keyword` is the engine's relevance r
 * (BM25 for SQLite, ts_rank_cd for PostgreSQL) normalized as r / (1 + r),
 * in [0, 1). Fusion, thresholds and recency live in the pipeline.
 */
export type Candidates = {
  /** Best first by cosine. */
  vector: { id: string; cosine: number }[];
  /** Best first by keyword relevance. */
  keyword: { id: string; keyword: number }[];
  /** Every candidate above (visible, passing the filter), with its cosine when a vector was given. */
  byId: Map<string, { item: MemoryItem; cosine: number | undefined }>;
};
