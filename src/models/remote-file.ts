import { setTimeout as sleep } from 'node:timers/promises';
import { EngramError } from '../errors.js';
import {
  describeError,
  httpFailure,
  isRetryableStatus,
  isTransientNetworkError,
  networkFailure,
  RetryableError,
  USER_AGENT,
  type FetchLike,
} from './network-errors.js';

/** What the hub says about a file before we download it. */
export type RemoteFileInfo = {
  url: string;
  /** Size in bytes (`X-Linked-Size` for LFS files, else `Content-Length`). */
  size: number | undefined;
  /** sha256 of an LFS file (`X-Linked-Etag`). */
  sha256: string | undefined;
  /** git blob id of a plain git file (the hub's `ETag` for files not in LFS). */
  gitBlobSha1: string | undefined;
  /** The commit the revision resolved to (`X-Repo-Commit`), when the server says. */
  commit: string | undefined;
};

/** A 5xx/429 answer to HEAD: retried, then reported as the HTTP failure it is. */
class RetryableStatus extends RetryableError {
  constructor(readonly failure: EngramError) {
    super(failure.message);
  }
}

/** Builds `<host>/<owner>/<repo>/resolve/<revision>/<path>`, the hub's download URL. */
export function resolveUrl(host: string, repo: string, revision: string, path: string): string {
  const base = host.replace(/\/+$/, '');
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

/**
 * Asks the server about a file with HEAD. Redirects are not followed blindly:
 * the hub answers an LFS file with a redirect to its CDN that carries
 * `X-Linked-Size` and `X-Linked-Etag` (the sha256), which the CDN's answer lacks.
 * A server that refuses HEAD (405/501) yields an empty answer; the download is
 * then checked against the catalogue's pins only.
 */
export async function headRemoteFile(
  url: string,
  options: {
    fetch?: FetchLike | undefined;
    signal?: AbortSignal | undefined;
    /** @default 3 */
    retries?: number | undefined;
    retryDelayMs?: number | undefined;
  } = {},
): Promise<RemoteFileInfo> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return await headOnce(url, options.fetch ?? globalThis.fetch, options.signal);
    } catch (error) {
      if (options.signal?.aborted) {
        throw new EngramError('MODEL_DOWNLOAD_FAILED', `looking up ${url} was cancelled`, { cause: options.signal.reason });
      }
      if (!isTransientNetworkError(error) || attempt >= retries) {
        if (error instanceof RetryableStatus) throw error.failure;
        if (error instanceof EngramError) throw error;
        throw networkFailure(url, error, 'looking up');
      }
      await sleep((options.retryDelayMs ?? 1_000) * 2 ** attempt, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

async function headOnce(url: string, fetchImpl: FetchLike, signal: AbortSignal | undefined): Promise<RemoteFileInfo> {
  const origin = new URL(url).origin;
  let current = url;
  let commit: string | undefined;
  for (let hop = 0; hop < 6; hop++) {
    const response = await fetchImpl(current, {
      method: 'HEAD',
      redirect: 'manual',
      headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' },
      signal,
    });
    commit ??= response.headers.get('x-repo-commit') ?? undefined;
    const linkedSize = response.headers.get('x-linked-size');
    const linkedEtag = response.headers.get('x-linked-etag');
    if (linkedSize !== null || linkedEtag !== null) {
      return { url, size: parseSize(linkedSize), sha256: etagOfShape(linkedEtag, 64), gitBlobSha1: undefined, commit };
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      current = new URL(location, current).href;
      continue;
    }
    if (response.ok) {
      // Only the hub's own ETag names the git blob; a CDN's ETag means something else.
      const trusted = new URL(current).origin === origin;
      const etag = trusted ? response.headers.get('etag') : null;
      return {
        url,
        size: parseSize(response.headers.get('content-length')),
        sha256: etagOfShape(etag, 64),
        gitBlobSha1: etagOfShape(etag, 40),
        commit,
      };
    }
    if (response.status === 405 || response.status === 501) {
      return { url, size: undefined, sha256: undefined, gitBlobSha1: undefined, commit };
    }
    if (isRetryableStatus(response.status)) throw new RetryableStatus(httpFailure(url, response.status, 'looking up'));
    throw httpFailure(url, response.status, 'looking up');
  }
  throw new EngramError('MODEL_DOWNLOAD_FAILED', `looking up ${url} failed: too many redirects (${describeError(current)})`);
}

function parseSize(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  const size = Number(header.trim());
  return Number.isSafeInteger(size) ? size : undefined;
}

/** The hex digest inside an ETag (`"…"`, `W/"…"`), if it has exactly `length` hex digits. */
function etagOfShape(etag: string | null, length: 40 | 64): string | undefined {
  const value = etag?.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return value !== undefined && value.length === length && /^[0-9a-f]+$/.test(value) ? value : undefined;
}
