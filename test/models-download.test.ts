import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadFile, parseContentRange } from '../src/models/download.js';
import { sha256, startModelServer } from './support/model-server.js';
import { tempDir } from './support/test-memory.js';

const REPO = 'acme/tiny-GGUF';
const FILE = 'tiny-q4_k_m.gguf';
const fast = { retryDelayMs: 1 };

async function serverWithFile(size = 300_000, lfs = true) {
  const server = await startModelServer();
  const content = randomBytes(size);
  server.addFile(REPO, FILE, content, { lfs });
  const url = `${server.url}/${REPO}/resolve/main/${FILE}`;
  return { server, content, url, hash: sha256(content) };
}

describe('downloadFile', () => {
  it('downloads a file, checks its sha256 and renames it into place; no .part is left', async () => {
    const { server, content, url, hash } = await serverWithFile();
    const destination = join(tempDir(), 'models', 'llm.gguf');
    const seen: number[] = [];
    const result = await downloadFile(url, destination, {
      expectedSha256: hash,
      expectedSize: content.length,
      onProgress: (p) => seen.push(p.receivedBytes),
    });
    expect(readFileSync(destination).equals(content)).toBe(true);
    expect(result).toMatchObject({ size: content.length, sha256: hash, resumedFrom: 0, attempts: 1 });
    expect(existsSync(`${destination}.part`)).toBe(false);
    expect(seen.at(-1)).toBe(content.length);
    expect(server.contentRequests(FILE)).toHaveLength(1); // the hub's redirect to the CDN was followed
  });

  it('resumes an interrupted transfer with a Range request and ends byte-identical', async () => {
    const { server, content, url, hash } = await serverWithFile();
    server.fault(FILE, { cutAfter: 100_000, times: 1 });
    const destination = join(tempDir(), 'llm.gguf');
    const result = await downloadFile(url, destination, { expectedSha256: hash, ...fast });

    const requests = server.contentRequests(FILE);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.range).toBeUndefined();
    expect(requests[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(requests[1]?.range?.slice(6, -1))).toBeGreaterThanOrEqual(100_000 - 65_536); // kept what arrived
    expect(requests[1]?.status).toBe(206);
    expect(readFileSync(destination).equals(content)).toBe(true);
    expect(result.attempts).toBe(2);
  });

  it('resumes a .part left by an earlier run, hashing the old bytes too', async () => {
    const { server, content, url, hash } = await serverWithFile();
    const destination = join(tempDir(), 'llm.gguf');
    writeFileSync(`${destination}.part`, content.subarray(0, 123_456));
    const result = await downloadFile(url, destination, { expectedSha256: hash });
    expect(server.contentRequests(FILE).map((r) => r.range)).toEqual(['bytes=123456-']);
    expect(result.resumedFrom).toBe(123_456);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('verifies a complete .part without downloading it again', async () => {
    const { server, content, url, hash } = await serverWithFile();
    const destination = join(tempDir(), 'llm.gguf');
    writeFileSync(`${destination}.part`, content);
    const result = await downloadFile(url, destination, { expectedSha256: hash, expectedSize: content.length });
    expect(result.attempts).toBe(0);
    expect(server.contentRequests(FILE)).toHaveLength(0);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('finishes a complete .part of unknown size through the 416 answer', async () => {
    const { server, content, url, hash } = await serverWithFile();
    const destination = join(tempDir(), 'llm.gguf');
    writeFileSync(`${destination}.part`, content);
    await downloadFile(url, destination, { expectedSha256: hash });
    expect(server.contentRequests(FILE).map((r) => r.status)).toEqual([416]);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('starts over when the server ignores Range (200 instead of 206) and still ends correct', async () => {
    const { server, content, url, hash } = await serverWithFile();
    server.fault(FILE, { ignoreRange: true });
    const destination = join(tempDir(), 'llm.gguf');
    writeFileSync(`${destination}.part`, Buffer.alloc(50_000, 7)); // garbage: would corrupt the file if appended to
    await downloadFile(url, destination, { expectedSha256: hash });
    const requests = server.contentRequests(FILE);
    expect(requests.map((r) => [r.range, r.status])).toEqual([['bytes=50000-', 200]]);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('restarts from zero when an interrupted server then ignores Range', async () => {
    const { server, content, url, hash } = await serverWithFile();
    server.fault(FILE, { cutAfter: 70_000, times: 1 });
    server.fault(FILE, { ignoreRange: true });
    const destination = join(tempDir(), 'llm.gguf');
    await downloadFile(url, destination, { expectedSha256: hash, ...fast });
    expect(server.contentRequests(FILE).map((r) => r.status)).toEqual([200, 200]);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('throws MODEL_CHECKSUM_MISMATCH on corrupted bytes, deletes the .part and installs nothing', async () => {
    const { server, url, hash } = await serverWithFile();
    server.fault(FILE, { corrupt: true });
    const destination = join(tempDir(), 'llm.gguf');
    writeFileSync(destination, 'the previous, working model');
    const error = await downloadFile(url, destination, { expectedSha256: hash }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_CHECKSUM_MISMATCH', details: { expectedSha256: hash } });
    expect(String((error as Error).message)).toContain(url);
    expect(existsSync(`${destination}.part`)).toBe(false);
    expect(readFileSync(destination, 'utf8')).toBe('the previous, working model');
  });

  it('throws MODEL_CHECKSUM_MISMATCH when the server has a file of another size', async () => {
    const { url, content } = await serverWithFile();
    const destination = join(tempDir(), 'llm.gguf');
    await expect(downloadFile(url, destination, { expectedSize: content.length + 1 })).rejects.toMatchObject({
      code: 'MODEL_CHECKSUM_MISMATCH',
    });
    expect(existsSync(destination)).toBe(false);
  });

  it('throws MODEL_DOWNLOAD_FAILED naming the URL on a 404, without retrying', async () => {
    const server = await startModelServer();
    const url = `${server.url}/${REPO}/resolve/main/missing.gguf`;
    const error = await downloadFile(url, join(tempDir(), 'x.gguf'), fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED', details: { status: 404 } });
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toMatch(/does not exist/);
    expect(server.log.filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('retries a 500, and gives up with MODEL_DOWNLOAD_FAILED after the bounded number of retries', async () => {
    const { server, content, url } = await serverWithFile(10_000, false);
    server.fault(FILE, { status: 500, times: 1 });
    const destination = join(tempDir(), 'a.gguf');
    await downloadFile(url, destination, fast);
    expect(readFileSync(destination).equals(content)).toBe(true);

    server.fault(FILE, { status: 503 });
    const error = await downloadFile(url, join(tempDir(), 'b.gguf'), { ...fast, retries: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
    expect((error as Error).message).toContain(url);
    expect(server.contentRequests(FILE).filter((r) => r.status === 503)).toHaveLength(3);
  });

  it('keeps the .part when the connection keeps failing, so the next run resumes', async () => {
    const { server, content, url, hash } = await serverWithFile();
    server.fault(FILE, { cutAfter: 0 });
    const destination = join(tempDir(), 'llm.gguf');
    writeFileSync(`${destination}.part`, content.subarray(0, 1000));
    await expect(downloadFile(url, destination, { ...fast, retries: 1 })).rejects.toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
    expect(readFileSync(`${destination}.part`)).toHaveLength(1000);

    server.clearFaults();
    await downloadFile(url, destination, { expectedSha256: hash });
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('abandons a stalled connection and resumes', async () => {
    const { server, content, url, hash } = await serverWithFile(50_000);
    server.fault(FILE, { stall: true, times: 1 });
    const destination = join(tempDir(), 'llm.gguf');
    await downloadFile(url, destination, { expectedSha256: hash, stallTimeoutMs: 150, ...fast });
    expect(server.contentRequests(FILE).at(-1)?.range).toBe('bytes=16-');
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it('stops on abort with MODEL_DOWNLOAD_FAILED and keeps what it has', async () => {
    const { server, url } = await serverWithFile(50_000);
    server.fault(FILE, { stall: true });
    const controller = new AbortController();
    const destination = join(tempDir(), 'llm.gguf');
    setTimeout(() => controller.abort(), 100);
    const error = await downloadFile(url, destination, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
    expect((error as Error).message).toMatch(/cancelled/);
    expect(readFileSync(`${destination}.part`)).toHaveLength(16);
  });

  it('says when the host cannot be reached', async () => {
    const server = await startModelServer();
    const url = `${server.url}/${REPO}/resolve/main/${FILE}`;
    await server.close();
    const error = await downloadFile(url, join(tempDir(), 'x.gguf'), fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
    expect((error as Error).message).toMatch(/cannot reach the server/);
    expect((error as Error).cause).toBeDefined();
  });
});

describe('parseContentRange', () => {
  it('reads start, end and total', () => {
    expect(parseContentRange('bytes 10-19/20')).toEqual({ start: 10, end: 19, total: 20 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: undefined });
    expect(parseContentRange('items 0-9/10')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
  });
});
