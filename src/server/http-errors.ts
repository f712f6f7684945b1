import { EngramError, type ErrorCode } from '../index.js';

/** Codes only the HTTP layer produces, beside Engram's own `ErrorCode`s. */
export const SERVER_ERROR_CODES = [
  /** Missing or wrong `Authorization: Bearer <token>`. */
  'UNAUTHORIZED',
  /** A request from a web page of another origin, or addressed to a non-loopback host name (no token set). */
  'FORBIDDEN',
  /** No route has this path. */
  'ROUTE_NOT_FOUND',
  /** The path exists, but not with this method (the `Allow` header lists the methods). */
  'METHOD_NOT_ALLOWED',
  /** The body is larger than the server's limit (`--max-body`). */
  'PAYLOAD_TOO_LARGE',
  /**
   * The client closed the connection before its body ended. Nothing is
   * answered (no one is left to read it); `onError` reports it with nginx's
   * status 499, "client closed request". The client's doing, not a failure.
   */
  'REQUEST_ABORTED',
  /** The local page's files are missing (a checkout that was not built: `npm run build`). */
  'PAGE_NOT_BUILT',
  /** Anything unexpected; the details stay in the server. */
  'INTERNAL',
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** An error the HTTP layer itself raises, with its status and headers. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: ServerErrorCode | ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The HTTP status of each Engram error code. A `Record` over every code, so a
 * new code cannot be added without choosing its status here.
 */
const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  SCOPE_REQUIRED: 400,
  NOT_FOUND: 404,
  // Someone (the model, another person) changed the memory since the caller read it: read again, then decide.
  CONFLICT: 409,
  // The server's models are missing or broken: the operator must act (`engram models pull`).
  MODEL_NOT_FOUND: 503,
  MODEL_LOAD_FAILED: 503,
  EMBEDDING_MISMATCH: 503,
  // This server was started without an LLM: inference is not offered here; send `infer: false`.
  LLM_NOT_CONFIGURED: 501,
  // A model ran but failed or answered nonsense: the "upstream" of this request failed.
  LLM_OUTPUT_INVALID: 502,
  LLM_FAILED: 502,
  EMBEDDING_FAILED: 502,
  RERANK_FAILED: 502,
  // Another process holds the write lock: worth retrying.
  DB_LOCKED: 503,
  // The store is closing (shutdown in progress).
  CLOSED: 503,
  TIMEOUT: 504,
  WORKER_LOST: 500,
  // The operator must act: free disk space; maintenance holds the file.
  DISK_FULL: 507,
  FILE_IN_USE: 503,
  // Raised when a store opens (the CLI reports them at start); a running server should not meet them.
  DB_INVALID: 500,
  ENCRYPTION_KEY_INVALID: 500,
  DB_ERROR: 500,
  FILE_NOT_FOUND: 500,
  MODEL_DOWNLOAD_FAILED: 500,
  MODEL_CHECKSUM_MISMATCH: 500,
};

/** What the server answers for an error: status, headers and the JSON body `{ error: { code, message } }`. */
export type ErrorResponse = {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string } };
};

/**
 * Turns anything thrown while handling a request into a response. Engram and
 * HTTP errors keep their code and message; anything else becomes a 500
 * `INTERNAL` whose message reveals nothing (no stack, no internals).
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) {
    return { status: error.status, headers: { ...error.headers }, body: { error: { code: error.code, message: error.message } } };
  }
  if (error instanceof EngramError) {
    const status = STATUS_OF[error.code] ?? 500;
    const headers: Record<string, string> = error.code === 'DB_LOCKED' ? { 'retry-after': '1' } : {};
    return { status, headers, body: { error: { code: error.code, message: error.message } } };
  }
  return { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'internal server error' } } };
}
