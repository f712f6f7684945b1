import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngramError } from '../errors.js';
import { hashFileInto } from './file-digest.js';
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

export type DownloadProgress = {
  url: string;
  /** Bytes of the file on disk so far, a resumed part included. */
  receivedBytes: number;
  /** The whole file's size, when the server or the caller told it. */
  totalBytes: number | undefined;
  /** Bytes that were already on disk when the current request began (not transferred now). */
  resumedBytes: number;
};

export type DownloadOptions = {
  /** sha256 (hex) the file must have; on mismatch the download is deleted. */
  expectedSha256?: string | undefined;
  /** Exact size the file must have. */
  expectedSize?: number | undefined;
  /** Called for every chunk written. */
  onProgress?: ((progress: DownloadProgress) => void) | undefined;
  /** Cancels the download; the `.part` file stays, so the next call resumes. */
  signal?: AbortSignal | undefined;
  /**
   * How many failed attempts in a row (without the file growing) are retried.
   * @default 5
   */
  retries?: number | undefined;
  /** First pause between attempts, doubled each time, at most 30 s. @default 1000 */
  retryDelayMs?: number | undefined;
  /** An attempt that receives nothing for this long is abandoned and retried. @default 60000 */
  stallTimeoutMs?: number | undefined;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  headers?: Record<string, string> | undefined;
};

export type DownloadResult = {
  path: string;
  size: number;
  sha256: string;
  /** Bytes that were already in `<destination>.part` when the call began. */
  resumedFrom: number;
  /** Requests made (0 when a complete `.part` only had to be verified). */
  attempts: number;
};

type Transfer = { hash: Hash | undefined; size: number };

/**
 * Downloads `url` to `destination`, safely:
 * - bytes go to `<destination>.part`; a `.part` left by an earlier run is resumed
 *   with an HTTP `Range` request (a server that answers 200 instead of 206 is
 *   downloaded again from the start);
 * - a dropped or stalled connection is retried with resume, a bounded number of times;
 * - the whole file is hashed with sha256; on a mismatch with `expectedSha256` (or
 *   `expectedSize`) the `.part` is deleted and MODEL_CHECKSUM_MISMATCH is thrown;
 * - only a complete, verified file is renamed to `destination` (atomic on one disk).
 *
 * Network and server failures throw MODEL_DOWNLOAD_FAILED, keeping the `.part`.
 *
 * @example
 * const { sha256 } = await downloadFile('https://huggingface.co/…/model.gguf', 'models/llm.gguf', {
 *   expectedSha256: '6a1a2eb6…',
 *   onProgress: ({ receivedBytes, totalBytes }) => draw(receivedBytes, totalBytes),
 * });
 */
export async function downloadFile(url: string, destination: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${destination}.part`;
  const retries = options.retries ?? 5;
  const baseDelay = options.retryDelayMs ?? 1_000;
  const expectedSha256 = options.expectedSha256?.toLowerCase();
  const { expectedSize } = options;
  try {
    await mkdir(dirname(destination), { recursive: true });
  } catch (error) {
    throw networkFailure(url, error);
  }

  const resumedFrom = await sizeOf(part);
  let largest = resumedFrom;
  let failures = 0;
  let attempts = 0;
  let useRange = true;
  let transfer: Transfer | undefined;
  for (;;) {
    throwIfCancelled(url, options.signal);
    let offset = await sizeOf(part);
    if (expectedSize !== undefined && offset > expectedSize) {
      await rm(part, { force: true }); // longer than the real file: not a prefix of it
      offset = 0;
    }
    if (expectedSize !== undefined && offset === expectedSize && offset > 0) break; // a complete part from an earlier run
    attempts++;
    try {
      transfer = await transferOnce(url, part, useRange ? offset : 0, options);
      break;
    } catch (error) {
      if (options.signal?.aborted) throwIfCancelled(url, options.signal);
      if (!isTransientNetworkError(error)) throw error instanceof EngramError ? error : networkFailure(url, error);
      if (error instanceof RetryableError && error.restart) useRange = false;
      const now = await sizeOf(part);
      if (now > largest) {
        largest = now; // progress was made: the failure budget starts again
        failures = 0;
      } else {
        failures++;
      }
      if (failures > retries) {
        throw new EngramError(
          'MODEL_DOWNLOAD_FAILED',
          `download of ${url} failed ${failures} times in a row (${describeError(error)}); ` +
            `${now > 0 ? 'the partial file is kept: run the command again to resume' : 'run the command again later'}`,
          { cause: error, details: { url, attempts } },
        );
      }
      try {
        await sleep(Math.min(baseDelay * 2 ** Math.max(0, failures - 1), 30_000), undefined, { signal: options.signal });
      } catch {
        throwIfCancelled(url, options.signal);
      }
    }
  }
  return finish(url, part, destination, transfer, { expectedSha256, expectedSize, resumedFrom, attempts });
}

async function finish(
  url: string,
  part: string,
  destination: string,
  transfer: Transfer | undefined,
  facts: { expectedSha256: string | undefined; expectedSize: number | undefined; resumedFrom: number; attempts: number },
): Promise<DownloadResult> {
  const size = await sizeOf(part);
  if (facts.expectedSize !== undefined && size !== facts.expectedSize) {
    await rm(part, { force: true });
    throw new EngramError(
      'MODEL_CHECKSUM_MISMATCH',
      `the file downloaded from ${url} has ${size} bytes, expected ${facts.expectedSize}; it was deleted — run the command again, ` +
        'and if it fails again the server (or mirror) holds a different file',
      { details: { url, expectedSize: facts.expectedSize, actualSize: size } },
    );
  }
  let hash = transfer?.hash;
  if (!hash || transfer?.size !== size) {
    hash = createHash('sha256');
    await hashFileInto(hash, part);
  }
  const sha256 = hash.digest('hex');
  if (facts.expectedSha256 !== undefined && sha256 !== facts.expectedSha256) {
    await rm(part, { force: true });
    throw new EngramError(
      'MODEL_CHECKSUM_MISMATCH',
      `the file downloaded from ${url} has sha256 ${sha256}, expected ${facts.expectedSha256}; it was deleted — ` +
        'run the command again, and if it fails again the server (or mirror) serves a different or damaged file',
      { details: { url, expectedSha256: facts.expectedSha256, actualSha256: sha256 } },
    );
  }
  try {
    const handle = await open(part, 'r+');
    try {
      await handle.sync(); // the rename must never expose a file whose bytes are still in the page cache only
    } finally {
      await handle.close();
    }
    await rename(part, destination);
  } catch (error) {
    throw networkFailure(url, error);
  }
  return { path: destination, size, sha256, resumedFrom: facts.resumedFrom, attempts: facts.attempts };
}

/** One HTTP request: resume from `offset` (0 = from the start); throws RetryableError for what may heal. */
async function transferOnce(url: string, part: string, offset: number, options: DownloadOptions): Promise<Transfer> {
  // Hash the bytes already on disk before asking, so the stall timer only measures the network.
  const prefix = createHash('sha256');
  if (offset > 0) await hashFileInto(prefix, part, offset);
  // One controller for both the caller's cancel and the stall timer (AbortSignal.any needs Node 20.3).
  const stall = new AbortController();
  const cancel = () => stall.abort(options.signal?.reason);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  const { signal } = stall;
  const stallMs = options.stallTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const armStallTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new RetryableError(`no data received for ${Math.round(stallMs / 1000)} s`)), stallMs);
  };
  armStallTimer();
  try {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...options.headers };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const response = await (options.fetch ?? globalThis.fetch)(url, { headers, signal, redirect: 'follow' });
    const start = await startOffset(response, offset, part, url);
    if (start === 'complete') return { hash: undefined, size: offset };
    const total = totalSize(response, start);
    if (options.expectedSize !== undefined && total !== undefined && total !== options.expectedSize) {
      await response.body?.cancel();
      await rm(part, { force: true });
      throw new EngramError(
        'MODEL_CHECKSUM_MISMATCH',
        `${url} has ${total} bytes on the server, expected ${options.expectedSize}: the server (or mirror) holds a different file`,
        { details: { url, expectedSize: options.expectedSize, actualSize: total } },
      );
    }
    const hash = start > 0 ? prefix : createHash('sha256');
    let received = start;
    const limit = options.expectedSize ?? total;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        armStallTimer();
        received += chunk.length;
        if (limit !== undefined && received > limit) {
          callback(new RetryableError(`the server sent more than the expected ${limit} bytes`, { restart: true }));
          return;
        }
        hash.update(chunk);
        options.onProgress?.({ url, receivedBytes: received, totalBytes: total ?? options.expectedSize, resumedBytes: start });
        callback(null, chunk);
      },
    });
    const body = response.body ? Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>) : Readable.from([]);
    await pipeline(body, meter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }));
    if (total !== undefined && received < total) throw new RetryableError(`the connection closed after ${received} of ${total} bytes`);
    return { hash, size: received };
  } catch (error) {
    // An abort by the stall timer surfaces as an AbortError whose reason is ours.
    if (stall.signal.aborted && !options.signal?.aborted) throw stall.signal.reason as RetryableError;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
  }
}

/** Where the response body starts in the file, or 'complete' when a 416 says the part is the whole file. */
async function startOffset(response: Response, offset: number, part: string, url: string): Promise<number | 'complete'> {
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range?.start === offset) return offset;
    await response.body?.cancel();
    throw new RetryableError(`the server answered a different range (${response.headers.get('content-range') ?? 'none'})`, { restart: true });
  }
  if (response.status === 200) return 0; // no Range asked, or the server ignores Range: start over
  if (response.status === 416 && offset > 0) {
    await response.body?.cancel();
    const total = /^bytes \*\/(\d+)$/.exec(response.headers.get('content-range')?.trim() ?? '')?.[1];
    if (total !== undefined && Number(total) === offset) return 'complete';
    await rm(part, { force: true }); // the part is not a prefix of this file
    throw new RetryableError('the partial file does not fit the file on the server', { restart: true });
  }
  await response.body?.cancel();
  if (isRetryableStatus(response.status)) throw new RetryableError(`HTTP ${response.status}`);
  throw httpFailure(url, response.status);
}

function totalSize(response: Response, start: number): number | undefined {
  if (response.status === 206) {
    const total = parseContentRange(response.headers.get('content-range'))?.total;
    if (total !== undefined) return total;
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? start + length : undefined;
}

/** Parses `bytes <start>-<end>/<total|*>`. */
export function parseContentRange(header: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, start, end, total] = match;
  return { start: Number(start), end: Number(end), total: total === '*' ? undefined : Number(total) };
}

function throwIfCancelled(url: string, signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw new EngramError('MODEL_DOWNLOAD_FAILED', `download of ${url} was cancelled; the partial file is kept: run the command again to resume`, {
    cause: signal.reason,
  });
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
