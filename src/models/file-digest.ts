import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Feeds bytes [0, end) of a file into `hash` (all of it when `end` is omitted). */
export async function hashFileInto(hash: Hash, file: string, end?: number): Promise<number> {
  if (end === 0) return 0;
  let bytes = 0;
  const stream = createReadStream(file, end === undefined ? {} : { start: 0, end: end - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return bytes;
}

/** sha256 (hex) and size of a file, read as a stream. */
export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const size = await hashFileInto(hash, file);
  return { sha256: hash.digest('hex'), size };
}

/**
 * The git blob id of a file (`sha1("blob <size>\0" + bytes)`): what the hub
 * sends as `ETag` for files that are not in LFS.
 */
export async function gitBlobSha1(file: string, size: number): Promise<string> {
  const hash = createHash('sha1');
  hash.update(`blob ${size}\0`);
  await hashFileInto(hash, file);
  return hash.digest('hex');
}
