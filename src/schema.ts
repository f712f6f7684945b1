import { z } from 'zod';
import { LIMITS } from './limits.js';
import { metadataProblem, stringProblem, type JsonObject } from './json-value.js';
import { FilterShapeError, parseFilter, type MetadataFilter } from './filter.js';
import { cleanText } from './text-hash.js';
import { MAX_TIME, MIN_TIME, toEpochMs } from './time.js';

/** A string that SQLite, the tokenizer and the models can all hold faithfully. */
const safeString = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .max(max, { error: `${what} is longer than ${max} characters` })
    .superRefine((value, ctx) => {
      const problem = stringProblem(value, what);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/**
 * Text of a memory, message or query: non-blank, bounded — also once
 * normalized as it is stored (NFC can make a text longer: U+FB2C becomes three
 * characters), so whatever is stored can be exported and imported again.
 */
export const TextSchema = safeString('text', LIMITS.maxTextLength)
  .refine((s) => s.trim().length > 0, { error: 'text must not be empty' })
  .refine((s) => s.length > LIMITS.maxTextLength || cleanText(s).length <= LIMITS.maxTextLength, {
    error: `text is longer than ${LIMITS.maxTextLength} characters once normalized (Unicode NFC)`,
  });

export const ScopeIdSchema = safeString('scope id', LIMITS.maxScopeIdLength).refine((s) => s.trim().length > 0, {
  error: 'scope ids must not be empty',
});

export const MemoryIdSchema = safeString('id', 128).refine((s) => s.length > 0, { error: 'id must not be empty' });

export const KindSchema = z.enum(['semantic', 'episodic', 'procedural']);
export type MemoryKind = z.infer<typeof KindSchema>;

export const MetadataSchema = z.custom<JsonObject>((value) => metadataProblem(value) === null, {
  error: (issue) => metadataProblem(issue.input) ?? 'invalid metadata',
});
export type Metadata = z.infer<typeof MetadataSchema>;

/** A metadata filter, parsed once into the tree the SQL compiler reads. */
export const FilterSchema = z.custom<MetadataFilter>(() => true).transform((value, ctx) => {
  try {
    return parseFilter(value);
  } catch (error) {
    if (!(error instanceof FilterShapeError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

/** Dates Engram stores and exports: years 0000 to 9999 (in UTC), as ISO 8601 can write them. */
const inStorableRange = (ms: number) => ms >= MIN_TIME && ms <= MAX_TIME;
const RANGE_ERROR = 'must lie between the years 0000 and 9999 (UTC)';
export const TimestampSchema = z.union([
  z
    .date()
    .refine((d) => !Number.isNaN(d.getTime()), { error: 'invalid date' })
    .refine((d) => inStorableRange(d.getTime()), { error: RANGE_ERROR }),
  z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-26T10:00:00Z' })
    .refine((s) => inStorableRange(Date.parse(s)), { error: RANGE_ERROR }),
]);

/**
 * When a memory expires (leaves searches and lists): an instant, or a
 * calendar day 'YYYY-MM-DD' (Mem0's `expiration_date`), meaning the memory
 * lasts through that day (UTC) and expires at the next midnight. Parsed to
 * epoch ms; `Memory` checks it lies in the future.
 */
export const ExpiresAtSchema = z
  .union([TimestampSchema, z.iso.date({ error: 'must be an ISO 8601 date-time or a day, e.g. 2027-01-31' })])
  .transform((value) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/u.test(value) ? Date.parse(`${value}T00:00:00Z`) + 86_400_000 : (toEpochMs(value) as number)))
  .refine((ms) => ms <= MAX_TIME, { error: RANGE_ERROR });

/** Bounds on one of a memory's dates: `{ gte: '2026-01-01T00:00:00Z', lt: … }`, any of gt, gte, lt, lte. */
export const TimeRangeSchema = z
  .strictObject({ gt: TimestampSchema.optional(), gte: TimestampSchema.optional(), lt: TimestampSchema.optional(), lte: TimestampSchema.optional() })
  .refine((range) => Object.values(range).some((bound) => bound !== undefined), { error: 'give at least one of gt, gte, lt, lte' });
export type TimeRange = z.input<typeof TimeRangeSchema>;

/** Who a memory belongs to. Reads select memories whose fields equal every field given. */
export const ScopeSchema = z.strictObject({
  userId: ScopeIdSchema.optional(),
  agentId: ScopeIdSchema.optional(),
  runId: ScopeIdSchema.optional(),
});
export type Scope = z.infer<typeof ScopeSchema>;

export const MessageSchema = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: TextSchema,
  name: safeString('name', LIMITS.maxScopeIdLength).optional(),
  createdAt: TimestampSchema.optional(),
});
export type Message = z.infer<typeof MessageSchema>;

/** Messages of an add: a list, or a string (one user message). Problems name the message and field ("messages.0.role"). */
export const MessagesSchema = z.preprocess(
  (value) => (typeof value === 'string' ? [{ role: 'user', content: value }] : value),
  z
    .array(MessageSchema, { error: 'messages must be a string or an array of { role, content }' })
    .min(1, { error: 'messages must not be empty' })
    .max(LIMITS.maxMessagesPerAdd, { error: `at most ${LIMITS.maxMessagesPerAdd} messages per add` }),
);

export const AddOptionsSchema = ScopeSchema.extend({
  metadata: MetadataSchema.optional(),
  /** @default true */
  infer: z.boolean().default(true),
  /**
   * With infer: false, the kind of every stored message. With infer: true,
   * 'procedural' summarizes an agent's run into one procedural memory; other
   * kinds are chosen by the model per fact.
   * @default 'semantic'
   */
  kind: KindSchema.default('semantic'),
  /**
   * With infer: true, whether add waits for the LLM. true: returns the
   * changes. false: the messages and an extraction job are stored at once
   * (durably: a restart resumes it) and add returns `{ jobId, status:
   * 'queued' }`; a worker (this Memory's, or `engram worker`) applies it.
   * infer: false never queues: it stores at once, so wait does not apply.
   * @default true
   */
  wait: z.boolean().default(true),
  /**
   * When every memory this add stores or changes expires: it then leaves
   * searches and lists, and stays in history and `asOf` reads until
   * `purgeExpired`. Without it, the store policy's `expireAfterDays` applies.
   */
  expiresAt: ExpiresAtSchema.optional(),
});
export type AddOptions = z.input<typeof AddOptionsSchema>;

export const JobStatusSchema = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);

export const JobListOptionsSchema = ScopeSchema.extend({
  status: z.array(JobStatusSchema).min(1).optional(),
  limit: z.number().int().min(1).max(LIMITS.maxPageSize).default(100),
  offset: z.number().int().min(0).default(0),
});
export type JobListOptions = z.input<typeof JobListOptionsSchema>;

export const FlushOptionsSchema = ScopeSchema.extend({
  /** Fail with TIMEOUT when jobs are still unfinished after this long; nothing is cancelled. @default 600000 */
  timeoutMs: z.number().int().min(0).max(86_400_000).default(600_000),
});
export type FlushOptions = z.input<typeof FlushOptionsSchema>;

export const SearchModeSchema = z.enum(['hybrid', 'vector', 'keyword']);
export type SearchMode = z.infer<typeof SearchModeSchema>;

export const SearchOptionsSchema = ScopeSchema.extend({
  /**
   * 'hybrid' fuses meaning (vectors) and words (BM25); 'vector' and 'keyword'
   * use one signal.
   * @default 'hybrid'
   */
  mode: SearchModeSchema.default('hybrid'),
  /** Add each signal's score and rank to every result (`signals`). */
  explain: z.boolean().default(false),
  /**
   * How hybrid mode combines meaning and words: 'linear' weighs the cosine
   * against BM25 (relative to the best match); 'rrf' fuses the two rankings by
   * reciprocal rank.
   * @default 'linear'
   */
  fusion: z.enum(['linear', 'rrf']).default('linear'),
  /** The vector signal's share in linear fusion. @default 0.5 */
  vectorWeight: z.number().min(0).max(1).default(0.5),
  /** Reorder the best candidates with the configured cross-encoder (Memory.open({ reranker })). */
  rerank: z.boolean().default(false),
  /**
   * Score each memory stored as said (`infer: false`) together with those stored as said just before and
   * after it in the same session (a conversation's neighbouring turns), and bring those neighbours in: an answer split over adjacent
   * turns is found through the turn that matches. A memory only gains: score = max(own, (own + weight ×
   * best neighbour) / (1 + weight)). `true` uses the defaults.
   * @default true in hybrid mode, false in 'vector' and 'keyword' (one signal, as asked)
   */
  neighbours: z
    .union([
      z.boolean(),
      z.strictObject({
        /** Memories on each side. @default 2 */
        window: z.number().int().min(1).max(5).default(2),
        /** How much the best neighbour's score counts. @default 1 */
        weight: z.number().min(0).max(1).default(1),
        /** A longer pause between two memories' times (validFrom) starts another session. @default 60 */
        sessionGapMinutes: z.number().positive().max(525_600).default(60),
      }),
    ])
    .optional(),
  /**
   * Understand the time the query names ("last May", "in 2023", "on 8 May", "two weeks ago"), parsed
   * offline, and weigh in whether a memory was recorded in that window (or up to a week after) or names a
   * date in it: score = (score + weight × inside) / (1 + weight). Nothing is filtered out. `true`: weight 0.35.
   * @default true in hybrid mode, false in 'vector' and 'keyword' (one signal, as asked)
   */
  time: z.union([z.boolean(), z.strictObject({ weight: z.number().min(0).max(1).default(0.35) })]).optional(),
  /** What relative times in the query count from. @default asOf when given, else now */
  referenceDate: TimestampSchema.optional(),
  /**
   * Give each result the memories stored around it in the same session (`neighbours: { before, after }`,
   * each oldest first): the conversation around a turn. contextFor shows them with their result.
   */
  withNeighbours: z.boolean().default(false),
  /**
   * Give each result the logged messages it was stored from (`sources`, oldest first): an inferred fact
   * finds, its messages tell in full (the fact as the key, the message as the value).
   */
  withSources: z.boolean().default(false),
  /**
   * Favour recent memories: the score becomes (1 - weight) * score + weight * 2^(-age / halfLifeDays). The age
   * counts from the memory's last change, or with `from: 'access'` from its last use (the last time a search
   * returned it, when the policy has `trackAccess`), whichever is later.
   */
  recency: z
    .strictObject({
      halfLifeDays: z.number().positive().max(36_500),
      weight: z.number().min(0).max(1).default(0.2),
      from: z.enum(['change', 'access']).default('change'),
    })
    .optional(),
  /**
   * Favour important memories: the score becomes (1 - weight) * score + weight * (importance - 1) / 4, with
   * `metadata.importance` from 1 to 5 (the model's rating when the policy asks for it, or yours); a memory
   * without one counts as 3.
   */
  importance: z.strictObject({ weight: z.number().min(0).max(1).default(0.2) }).optional(),
  limit: z.number().int().min(1).max(LIMITS.maxSearchLimit).default(10),
  threshold: z.number().min(0).max(1).optional(),
  filters: FilterSchema.optional(),
  /** Only memories first stored within these bounds. */
  createdAt: TimeRangeSchema.optional(),
  /** Only memories whose version was written within these bounds (an update's time, or the creation). */
  updatedAt: TimeRangeSchema.optional(),
  /** Only the memories with these ids (of the scope). */
  ids: z.array(MemoryIdSchema).min(1).max(1000).optional(),
  /** Search the memories as they were at this time (deleted and superseded versions included). */
  asOf: TimestampSchema.optional(),
  /**
   * Vector candidates from sqlite-vec's exact KNN over the file, skipping the
   * in-memory index and its approximate first pass in large scopes (slower;
   * the reference its recall is measured against).
   */
  exact: z.boolean().default(false),
  /**
   * Use the entity graph: weigh memories that name the query's entities higher and return the relations
   * around them. @default true when the Memory keeps the graph (`graph` option)
   */
  graph: z.boolean().optional(),
});
export type SearchOptions = z.input<typeof SearchOptionsSchema>;

export const ContextOptionsSchema = SearchOptionsSchema.extend({
  /** Candidates considered before the token budget applies. */
  limit: z.number().int().min(1).max(LIMITS.maxSearchLimit).default(30),
  /** Show each memory with the turns stored around it in its session, when they fit the budget. @default true */
  withNeighbours: z.boolean().default(true),
  /** Token budget of the whole block, header included. @default 512 */
  maxTokens: z.number().int().min(16).max(100_000).default(512),
  /** First line of the block. */
  header: safeString('header', 1_000).default('Relevant memories about the user (most relevant first; dates say since when):'),
  /** Counts tokens of a text the way your LLM does. @default about 4 characters per token */
  countTokens: z.custom<(text: string) => number>((v) => typeof v === 'function', { error: 'countTokens must be a function' }).optional(),
});
export type ContextOptions = z.input<typeof ContextOptionsSchema>;

export const GetAllOptionsSchema = ScopeSchema.extend({
  filters: FilterSchema.optional(),
  /** Only memories first stored within these bounds. */
  createdAt: TimeRangeSchema.optional(),
  /** Only memories whose version was written within these bounds. */
  updatedAt: TimeRangeSchema.optional(),
  /** Only the memories with these ids (of the scope). */
  ids: z.array(MemoryIdSchema).min(1).max(1000).optional(),
  /** List the memories as they were at this time. */
  asOf: TimestampSchema.optional(),
  limit: z.number().int().min(1).max(LIMITS.maxPageSize).default(100),
  offset: z.number().int().min(0).default(0),
});
export type GetAllOptions = z.input<typeof GetAllOptionsSchema>;

export const MessagesOptionsSchema = ScopeSchema.extend({
  limit: z.number().int().min(1).max(LIMITS.maxPageSize).default(100),
  /** Only messages logged before the message with this id (the previous page: the first id of this one). */
  before: z.number().int().min(1).optional(),
});
export type MessagesOptions = z.input<typeof MessagesOptionsSchema>;

/** A message as the log keeps it (`Memory.messages`): what was said, by whom, when. */
export type LoggedMessage = { id: number; role: 'user' | 'assistant' | 'system'; name?: string; content: string; createdAt: string };

export const ScopesOptionsSchema = z.strictObject({
  limit: z.number().int().min(1).max(LIMITS.maxPageSize).default(100),
  offset: z.number().int().min(0).default(0),
});
export type ScopesOptions = z.input<typeof ScopesOptionsSchema>;

/** A user, agent or run holding memories (`Memory.scopes()`); dates in ISO 8601. */
export type ScopeOwner = { type: 'user' | 'agent' | 'run'; id: string; memories: number; createdAt: string; updatedAt: string };

/**
 * Who asked for a change, as history records it: `'user'` when a person
 * corrected the memory by hand (the page, a CLI session), `'api'` (the
 * default) when a program did. The model's own changes are `'llm'`.
 */
export const ChangedBySchema = z.enum(['api', 'user']);
export type ChangedBy = z.infer<typeof ChangedBySchema>;

export const UpdateOptionsSchema = ScopeSchema.extend({
  /** Replaces the memory's metadata when given. */
  metadata: MetadataSchema.optional(),
  changedBy: ChangedBySchema.optional(),
  /**
   * The version the caller read: when the memory has moved on since (the
   * model, another person changed it), the update is refused with CONFLICT
   * and nothing is written, rather than overwriting a change unseen.
   */
  ifVersion: z.number().int().min(1).optional(),
  /** When the new version expires; null: never. Without it, the memory keeps its expiry. */
  expiresAt: ExpiresAtSchema.nullable().optional(),
});
export type UpdateOptions = z.input<typeof UpdateOptionsSchema>;

/** `sources`' options: the scope the memory must lie in, and the moment whose version is meant (default: now). */
export const SourcesOptionsSchema = ScopeSchema.extend({ asOf: TimestampSchema.optional() });
export type SourcesOptions = z.input<typeof SourcesOptionsSchema>;

/** `delete`'s options: the scope the memory must lie in, who asked, and (as for `update`) the version the caller read. */
export const DeleteOptionsSchema = ScopeSchema.extend({ changedBy: ChangedBySchema.optional(), ifVersion: z.number().int().min(1).optional() });
export type DeleteOptions = z.input<typeof DeleteOptionsSchema>;

/** `purgeExpired`: scope fields narrow it (nothing: every scope); `dryRun` erases nothing and counts what would go. */
export const PurgeExpiredOptionsSchema = ScopeSchema.extend({ dryRun: z.boolean().default(false) });
export type PurgeExpiredOptions = z.input<typeof PurgeExpiredOptionsSchema>;

/** `export`'s options: with a scope, only its records (as `getAll` matches: a user covers their agents and runs). */
export const ExportOptionsSchema = z.strictObject({ scope: ScopeSchema.optional() });
export type ExportOptions = z.input<typeof ExportOptionsSchema>;

export const MemoryItemSchema = z.object({
  id: z.string(),
  /** 1 for a new memory; each update adds a version with the same id. */
  version: z.number().int().min(1),
  memory: z.string(),
  hash: z.string(),
  kind: KindSchema,
  userId: z.string().optional(),
  agentId: z.string().optional(),
  runId: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  validFrom: z.string(),
  validTo: z.string().optional(),
  /** When it leaves searches and lists (it stays in history and point-in-time reads until `purgeExpired`). */
  expiresAt: z.string().optional(),
});
export type MemoryItem = z.infer<typeof MemoryItemSchema>;

export const SearchSignalsSchema = z.object({
  /** Cosine similarity to the query. */
  vector: z.number().optional(),
  vectorRank: z.number().int().optional(),
  /** BM25 squashed to [0, 1). */
  keyword: z.number().optional(),
  keywordRank: z.number().int().optional(),
  /** 2^(-age / halfLife), when recency weighting is on (age since the last change, or the last use with `from: 'access'`). */
  recency: z.number().optional(),
  /** (importance - 1) / 4, when importance weighting is on. */
  importance: z.number().optional(),
  /** The cross-encoder's relevance, when reranking. */
  rerank: z.number().optional(),
  /** The share (by rarity) of the query's entities, and their neighbours', the memory names, with the entity graph. */
  entity: z.number().optional(),
  /** 1 when the memory falls in the time the query names. */
  time: z.number().optional(),
  /** The best score among the memories stored next to it in the same session, with neighbours on. */
  neighbour: z.number().optional(),
});
export type SearchSignals = z.infer<typeof SearchSignalsSchema>;

export const ScoredMemorySchema = MemoryItemSchema.extend({
  score: z.number().min(0).max(1),
  /** Per-signal scores, with `explain: true`. */
  signals: SearchSignalsSchema.optional(),
  /** The memories stored just before and after it in the same session, each side oldest first, with `withNeighbours: true`. */
  neighbours: z.object({ before: z.array(MemoryItemSchema), after: z.array(MemoryItemSchema) }).optional(),
  /** The messages it was stored from, oldest first, with `withSources: true`. */
  sources: z.array(z.object({ id: z.number().int(), role: z.enum(['user', 'assistant', 'system']), name: z.string().optional(), content: z.string(), createdAt: z.string() })).optional(),
});
export type ScoredMemory = z.infer<typeof ScoredMemorySchema>;

export const MemoryEventSchema = z.object({
  id: z.string(),
  memory: z.string(),
  event: z.enum(['ADD', 'UPDATE', 'DELETE', 'NONE']),
  previousMemory: z.string().optional(),
});
export type MemoryEvent = z.infer<typeof MemoryEventSchema>;

export const HistoryEntrySchema = z.object({
  id: z.number().int(),
  memoryId: z.string(),
  event: z.enum(['ADD', 'UPDATE', 'DELETE']),
  oldMemory: z.string().optional(),
  newMemory: z.string().optional(),
  oldMetadata: z.record(z.string(), z.unknown()).optional(),
  newMetadata: z.record(z.string(), z.unknown()).optional(),
  actor: z.enum(['api', 'llm', 'user']),
  reason: z.string().optional(),
  createdAt: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
