import { EngramError } from '../errors.js';

/** The `fetch` this module needs; tests and callers may pass their own. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export const USER_AGENT = 'engram/0.1.0 (model download)';

/** A transfer failure worth another attempt (a reset connection, a 5xx, a stall). */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  /** The next attempt must start from byte 0 instead of resuming. */
  readonly restart: boolean;
  constructor(message: string, options: { cause?: unknown; restart?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.restart = options.restart ?? false;
  }
}

/** Every `code` along an error's `cause` chain (undici nests the socket error). */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}

// The host cannot be reached at all, or its certificate is wrong: retrying will not help.
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_FAIL', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
const DISK = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'EMFILE']);

function isCertificateProblem(codes: string[]): boolean {
  return codes.some((code) => code.includes('CERT') || code.startsWith('ERR_TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT');
}

/** A network failure that may heal on its own: worth retrying (and resuming). */
export function isTransientNetworkError(error: unknown): boolean {
  if (error instanceof RetryableError) return true;
  if (error instanceof EngramError) return false;
  const codes = errorCodes(error);
  if (codes.some((code) => UNREACHABLE.has(code) || DISK.has(code)) || isCertificateProblem(codes)) return false;
  if (codes.some((code) => ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code))) {
    return true;
  }
  if (codes.some((code) => code.startsWith('UND_ERR'))) return true;
  // undici reports a dropped connection as TypeError('fetch failed') before the body,
  // and TypeError('terminated') during it.
  return error instanceof TypeError && (error.message === 'fetch failed' || error.message === 'terminated');
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** What to tell a person for an HTTP error status, with what to do about it. */
export function httpFailure(url: string, status: number, action = 'download of'): EngramError {
  const hint =
    status === 404
      ? 'the model, file or revision does not exist there; check the name, or the mirror set by --host / ENGRAM_MODEL_HOST'
      : status === 401 || status === 403
        ? 'the server refused access; the repository may be gated or private, or the mirror needs a login'
        : isRetryableStatus(status)
          ? 'the server is failing or overloaded; try again later'
          : 'the server rejected the request';
  return new EngramError('MODEL_DOWNLOAD_FAILED', `${action} ${url} failed: HTTP ${status} — ${hint}`, {
    details: { url, status },
  });
}

/**
 * Wraps a network or disk error into MODEL_DOWNLOAD_FAILED with a message that
 * says what to do; `action` reads before the URL or path ("download of", "looking up").
 */
export function networkFailure(url: string, error: unknown, action = 'download of'): EngramError {
  if (error instanceof EngramError) return error;
  const codes = errorCodes(error);
  const reason = describeError(error);
  let hint: string;
  if (codes.some((code) => DISK.has(code))) {
    hint = codes.includes('ENOSPC') || codes.includes('EDQUOT')
      ? 'the disk is full; free some space (or use --models-dir on another disk) and run the command again to resume'
      : 'cannot write to the models folder; check its permissions or choose another --models-dir';
  } else if (codes.some((code) => UNREACHABLE.has(code))) {
    hint = 'cannot reach the server; check your internet connection, or the mirror set by --host / ENGRAM_MODEL_HOST';
  } else if (isCertificateProblem(codes)) {
    hint = "the server's TLS certificate was rejected; a proxy may be intercepting HTTPS (set NODE_EXTRA_CA_CERTS)";
  } else {
    hint = 'the connection failed; run the command again (downloads resume where they stopped)';
  }
  return new EngramError('MODEL_DOWNLOAD_FAILED', `${action} ${url} failed: ${reason} — ${hint}`, {
    cause: error,
    details: { url, codes },
  });
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const codes = errorCodes(error);
  const inner = error.cause instanceof Error ? error.cause.message : undefined;
  const text = inner && inner !== error.message ? `${error.message} (${inner})` : error.message;
  return codes.length > 0 && !text.includes(codes[0] ?? '') ? `${text} [${codes[0]}]` : text;
}
