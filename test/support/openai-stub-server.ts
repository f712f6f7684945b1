import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/**
 * A fake OpenAI-compatible server (what Ollama, LM Studio and llama-server
 * expose) on 127.0.0.1: `POST /v1/chat/completions` answers from a script,
 * `POST /v1/embeddings` answers deterministic hash-based vectors (not unit
 * length, so the client must normalise). Every request is recorded.
 */

/** One planned answer to the next request (of either endpoint). */
export type StubAnswer =
  /** A chat completion whose `choices[0].message.content` is this text (or the object as JSON). */
  | { content: string | object }
  /** Exactly this status, body (an object is sent as JSON, a string as is) and extra headers. */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Headers sent, then nothing: the client must time out. */
  | { hang: true }
  /** Computed from the request. */
  | ((request: StubRequest) => StubAnswer);

export type StubRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: unknown };

export type StubServerOptions = {
  /** Length of the embedding vectors. @default 16 */
  dimension?: number;
  /** Send `data` in reverse order (with correct `index`), as a server may. @default false */
  reverseOrder?: boolean;
};

export type OpenAiStubServer = {
  /** `http://127.0.0.1:<port>/v1`: pass as `baseUrl`. */
  baseUrl: string;
  requests: StubRequest[];
  /** Requests to one endpoint, e.g. `'/v1/chat/completions'`. */
  requestsTo(path: string): StubRequest[];
  /** Queues answers for the next requests; when none is queued, chat is a 500 and embeddings are hash vectors. */
  plan(...answers: StubAnswer[]): void;
  /** Queues answers for the next chat completions only (embedding requests keep their hash vectors). */
  planChat(...answers: StubAnswer[]): void;
  close(): Promise<void>;
};

const servers: OpenAiStubServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** The vector the stub gives `text` (before the client normalises it). */
export function stubVector(text: string, dimension: number): number[] {
  const vector: number[] = [];
  for (let block = 0; vector.length < dimension; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (const byte of digest) if (vector.length < dimension) vector.push((byte / 127.5 - 1) * 3);
  }
  return vector;
}

/** Starts a stub server; it is closed after the test. */
export async function startOpenAiStub(options: StubServerOptions = {}): Promise<OpenAiStubServer> {
  const dimension = options.dimension ?? 16;
  const requests: StubRequest[] = [];
  const script: StubAnswer[] = [];
  const chatScript: StubAnswer[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const request: StubRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      requests.push(request);
      const planned = request.path === '/v1/chat/completions' ? (chatScript.shift() ?? script.shift()) : script.shift();
      let answer = planned ?? defaultAnswer(request, dimension, options.reverseOrder ?? false);
      while (typeof answer === 'function') answer = answer(request);
      respond(res, answer);
    });
  });

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const stub: OpenAiStubServer = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    plan: (...answers) => void script.push(...answers),
    planChat: (...answers) => void chatScript.push(...answers),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  servers.push(stub);
  return stub;
}

function defaultAnswer(request: StubRequest, dimension: number, reverse: boolean): StubAnswer {
  if (request.method !== 'POST') return { status: 405, body: { error: { message: 'POST only' } } };
  if (request.path === '/v1/embeddings') {
    const input = (request.body as { input?: unknown }).input;
    if (!Array.isArray(input) || !input.every((t) => typeof t === 'string')) return { status: 400, body: { error: { message: 'input must be an array of strings' } } };
    const data = input.map((text: string, index) => ({ object: 'embedding', index, embedding: stubVector(text, dimension) }));
    return { status: 200, body: { object: 'list', data: reverse ? data.reverse() : data, model: 'stub' } };
  }
  if (request.path === '/v1/chat/completions') return { status: 500, body: { error: { message: 'stub: no answer planned' } } };
  return { status: 404, body: { error: { message: `no route ${request.path}` } } };
}

function respond(res: ServerResponse, answer: Exclude<StubAnswer, (request: StubRequest) => StubAnswer>): void {
  if ('hang' in answer) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    return;
  }
  if ('content' in answer) {
    const content = typeof answer.content === 'string' ? answer.content : JSON.stringify(answer.content);
    return respond(res, { status: 200, body: { id: 'stub', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] } });
  }
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
  res.writeHead(answer.status, { 'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json', ...answer.headers });
  res.end(body);
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
