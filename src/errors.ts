/**
 * The stable error codes of Engram. A code never changes meaning once released;
 * callers (and the REST/MCP layers) may switch on it.
 */
export const ERROR_CODES = [
  /** An argument failed validation (wrong type, empty, too large, unknown option). */
  'INVALID_INPUT',
  /** add/search/getAll/deleteAll need at least one of userId, agentId, runId. */
  'SCOPE_REQUIRED',
  /** No current memory has the given id. */
  'NOT_FOUND',
  /** The memory changed since the caller read it (`update` with `ifVersion`); nothing was written. */
  'CONFLICT',
  /** The database was built with another embedding model (id or dimension). */
  'EMBEDDING_MISMATCH',
  /** A model folder or file is missing or incomplete. */
  'MODEL_NOT_FOUND',
  /** `engram models pull` could not download a model (network, server, disk). */
  'MODEL_DOWNLOAD_FAILED',
  /** A downloaded or installed model file does not match its expected sha256. */
  'MODEL_CHECKSUM_MISMATCH',
  /** A model exists on disk but could not be loaded by its engine. */
  'MODEL_LOAD_FAILED',
  /** The embedder failed or returned vectors of the wrong shape. */
  'EMBEDDING_FAILED',
  /** `infer: true` needs an LLM and none is configured. */
  'LLM_NOT_CONFIGURED',
  /** The LLM produced output that does not match the operations schema. */
  'LLM_OUTPUT_INVALID',
  /** The LLM engine failed while generating. */
  'LLM_FAILED',
  /** The database is encrypted and the key given is wrong (or missing). */
  'ENCRYPTION_KEY_INVALID',
  /** Another connection held the database lock longer than the busy timeout. */
  'DB_LOCKED',
  /** The database file is not an Engram database, is corrupt, or is newer than this version. */
  'DB_INVALID',
  /** Any other SQLite failure. */
  'DB_ERROR',
  /** Maintenance (encrypt, rekey, decrypt, the reindex swap) needs the file to itself, and another connection has it open. */
  'FILE_IN_USE',
  /** A file the operation works on (not a memory) does not exist. */
  'FILE_NOT_FOUND',
  /** The disk (or the user's quota) is full; nothing was changed. */
  'DISK_FULL',
  /** The cross-encoder failed while reranking. */
  'RERANK_FAILED',
  /** The Memory instance was closed. */
  'CLOSED',
  /** A wait (flush, a queued add's job) did not end within its timeout; nothing was cancelled. */
  'TIMEOUT',
  /** A queued add was given up: the workers running it stopped (killed, crashed) as many times as a job may be attempted. */
  'WORKER_LOST',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * What the caller can change to fix an error, for front ends that phrase the
 * fix in their own terms (CLI flags, a request field) rather than in
 * `Memory.open` options, which is how the library's messages put it.
 */
export const ERROR_HINTS = [
  /** The embedding model folder: `embedder.model`. */
  'embedding-model',
  /** The LLM file: `llm.model`, or add with `infer: false`. */
  'llm-model',
  /** No LLM at all (`llm: null`): add with `infer: false`. */
  'no-llm',
  /** Another connection held the lock: retry, or wait longer (`busyTimeoutMs`). */
  'busy-timeout',
  /** `rerank: true` without a cross-encoder (`reranker`). */
  'no-reranker',
] as const;
export type ErrorHint = (typeof ERROR_HINTS)[number];

/** The one error type Engram throws. `code` is stable; `message` says what to do. */
export class EngramError extends Error {
  override readonly name = 'EngramError';
  readonly code: ErrorCode;
  /** Extra structured facts, e.g. the validation issues of an INVALID_INPUT. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** What to change to fix it, when a front end should say so in its own terms. */
  readonly hint: ErrorHint | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown>; hint?: ErrorHint } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.hint = options.hint;
  }
}

export function isEngramError(error: unknown, code?: ErrorCode): error is EngramError {
  return error instanceof EngramError && (code === undefined || error.code === code);
}
