import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/**
 * A fake model hub on 127.0.0.1 with the Hugging Face URL layout
 * `/<owner>/<repo>/resolve/<revision>/<path>`. Like the hub, it answers an LFS
 * file with a redirect to a CDN URL carrying `X-Linked-Size` and `X-Linked-Etag`
 * (the sha256), and a plain git file directly with its git blob id as `ETag`.
 * It honours `Range`, and can misbehave on purpose (see `Fault`).
 */

export type Fault = {
  /** Send this many bytes of the body, then close the connection. */
  cutAfter?: number;
  /** Flip bytes in the body (headers still announce the true size and sha256). */
  corrupt?: boolean;
  /** Answer with this status instead. */
  status?: number;
  /** Also apply `status` to HEAD requests (default: GET only). */
  onHead?: boolean;
  /** Ignore `Range` and always answer 200 with the whole file. */
  ignoreRange?: boolean;
  /** Send the headers and a few bytes, then nothing more. */
  stall?: boolean;
  /** How many requests the fault applies to. @default Infinity */
  times?: number;
};

export type LoggedRequest = { method: string; path: string; range: string | undefined; status: number };

type ServedFile = { repo: string; path: string; revision: string | undefined; content: Buffer; lfs: boolean; sha256: string; gitSha1: string };

export type ModelServer = {
  /** `http://127.0.0.1:<port>` — pass as `host`. */
  url: string;
  log: LoggedRequest[];
  /** Serves `content` as `<repo>/<path>` (at any revision unless one is given). */
  addFile(repo: string, path: string, content: Buffer | string, options?: { lfs?: boolean; revision?: string }): { sha256: string; size: number };
  /** Makes requests for files whose path ends with `path` misbehave. */
  fault(path: string, fault: Fault): void;
  clearFaults(): void;
  /** GET requests that reached a file's bytes (resolve or CDN URL) whose path ends with `path`. */
  contentRequests(path: string): LoggedRequest[];
  close(): Promise<void>;
};

export const COMMIT = 'c0ffee0000000000000000000000000000000001';

const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

export function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Starts a fake hub; it is closed after the test. */
export async function startModelServer(): Promise<ModelServer> {
  const files: ServedFile[] = [];
  const faults: { path: string; fault: Fault; used: number }[] = [];
  const log: LoggedRequest[] = [];

  const takeFault = (file: ServedFile, method: string): Fault | undefined => {
    const entry = faults.find((f) => file.path.endsWith(f.path) && f.used < (f.fault.times ?? Number.POSITIVE_INFINITY));
    if (!entry || (method === 'HEAD' && !(entry.fault.status !== undefined && entry.fault.onHead))) return undefined;
    entry.used++;
    return entry.fault;
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = decodeURI((req.url ?? '/').split('?')[0] ?? '/');
    // Logged on arrival, so a test that awaited its download sees every request it caused.
    const entry: LoggedRequest = { method, path, range: req.headers.range, status: 0 };
    log.push(entry);
    const writeHead = res.writeHead.bind(res) as (code: number, headers?: Record<string, string>) => ServerResponse;
    res.writeHead = ((code: number, headers?: Record<string, string>) => {
      entry.status = code;
      return writeHead(code, headers);
    }) as typeof res.writeHead;

    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdn) {
      const file = files.find((f) => f.sha256 === cdn[1]);
      if (!file) return notFound(res);
      return serveBytes(req, res, file, takeFault(file, method));
    }
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const file = match && files.find((f) => f.repo === match[1] && f.path === match[3] && (f.revision === undefined || f.revision === match[2]));
    if (!file) return notFound(res);
    res.setHeader('x-repo-commit', COMMIT);
    if (file.lfs) {
      const fault = method === 'HEAD' ? takeFault(file, method) : undefined;
      if (fault?.status !== undefined) return status(res, fault.status);
      res.writeHead(302, {
        location: `/cdn/${file.sha256}`,
        'x-linked-size': String(file.content.length),
        'x-linked-etag': `"${file.sha256}"`,
      });
      return res.end();
    }
    res.setHeader('etag', `"${file.gitSha1}"`);
    return serveBytes(req, res, file, takeFault(file, method));
  });

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const instance: ModelServer = {
    url: `http://127.0.0.1:${port}`,
    log,
    addFile(repo, path, content, options = {}) {
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
      const gitSha1 = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
      const served = { repo, path, revision: options.revision, content: bytes, lfs: options.lfs ?? false, sha256: sha256(bytes), gitSha1 };
      const old = files.findIndex((f) => f.repo === repo && f.path === path && f.revision === options.revision);
      if (old >= 0) files.splice(old, 1);
      files.push(served);
      return { sha256: served.sha256, size: bytes.length };
    },
    fault(path, fault) {
      faults.push({ path, fault, used: 0 });
    },
    clearFaults() {
      faults.splice(0);
    },
    contentRequests(path) {
      return log.filter((r) => {
        if (r.method !== 'GET') return false;
        const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(r.path);
        const file = cdn ? files.find((f) => f.sha256 === cdn[1]) : undefined;
        return (file ? file.path : r.path).endsWith(path) && r.status !== 302;
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  servers.push(instance);
  return instance;
}

function notFound(res: ServerResponse): void {
  status(res, 404);
}

function status(res: ServerResponse, code: number): void {
  res.writeHead(code, { 'content-type': 'text/plain' });
  res.end(`HTTP ${code}`);
}

function serveBytes(req: IncomingMessage, res: ServerResponse, file: ServedFile, fault: Fault | undefined): void {
  if (fault?.status !== undefined) return status(res, fault.status);
  const size = file.content.length;
  let start = 0;
  let end = size - 1;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && !fault?.ignoreRange) {
    start = Number(range[1]);
    if (range[2]) end = Math.min(Number(range[2]), size - 1);
    if (start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      return void res.end();
    }
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' });
  } else {
    res.writeHead(200, { 'content-length': String(size), 'accept-ranges': 'bytes' });
  }
  if (req.method === 'HEAD') return void res.end();
  let body = file.content.subarray(start, end + 1);
  if (fault?.corrupt) {
    body = Buffer.from(body);
    for (let i = 0; i < body.length; i += 97) body[i] = (body[i] ?? 0) ^ 0xff;
  }
  if (fault?.stall) {
    res.write(body.subarray(0, Math.min(16, body.length)));
    return; // never ends; the client must give up
  }
  if (fault?.cutAfter !== undefined) {
    // Closed a moment later, with FIN: a client may lose bytes it had not consumed yet when
    // the connection fails (real, and harmless, but it would make the Range asserted by tests vary).
    res.write(body.subarray(0, fault.cutAfter), () => setTimeout(() => res.socket?.end(), 30));
    return;
  }
  res.end(body);
}
