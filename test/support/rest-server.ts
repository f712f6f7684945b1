import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import type { Memory, MemoryOptions } from 'engram-memory';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server/start-server.js';
import { openTestMemory } from './test-memory.js';

const running: RunningServer[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) await server.close(0);
});

/** A real REST server on 127.0.0.1 (a free port) over a fresh test memory; both closed after the test. */
export async function startTestServer(
  options: { memory?: Partial<MemoryOptions>; server?: Omit<StartServerOptions, 'host' | 'port'> } = {},
): Promise<{ memory: Memory; server: RunningServer; api: RestClient }> {
  const memory = await openTestMemory(options.memory);
  const server = await startServer(memory, { ...options.server, host: '127.0.0.1', port: 0 });
  running.push(server);
  return { memory, server, api: new RestClient(server.url) };
}

/** A parsed JSON answer; tests read it as a plain document, as a Mem0 client in Python would. */
export type JsonDocument = any;

export type Reply = { status: number; headers: Headers; body: JsonDocument };

/** The error body every failure has: exactly `{ error: { code, message } }`, nothing more (no stack). */
export function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(reply.body).toEqual({ error: { code, message: expect.any(String) } });
  expect(JSON.stringify(reply.body)).not.toMatch(/\bat .+\.ts:\d+/);
}

/** Speaks HTTP with `fetch`, as a Mem0 client does: JSON in, JSON out. */
export class RestClient {
  constructor(
    readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The same server, with these headers on every request (e.g. Authorization). */
  with(headers: Record<string, string>): RestClient {
    return new RestClient(this.url, { ...this.headers, ...headers });
  }

  get = (path: string) => this.send('GET', path);
  delete = (path: string) => this.send('DELETE', path);
  post = (path: string, body?: unknown) => this.send('POST', path, body);
  put = (path: string, body?: unknown) => this.send('PUT', path, body);

  /** Any method; a string body is sent as is, anything else as JSON. */
  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const init: RequestInit = { method, headers: { ...this.headers, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'content-type': 'application/json', ...init.headers };
    }
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  }
}

/**
 * A request with headers `fetch` will not let you set (Host), through
 * node:http, still to 127.0.0.1.
 */
export function rawRequest(url: string, options: { method?: string; path: string; headers: Record<string, string> }): Promise<{ status: number; body: JsonDocument }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: Number(port), method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TCP connection to the server, for requests no HTTP client will send (a body cut short, a hand-driven `Expect: 100-continue`). */
export async function openRawSocket(url: string): Promise<Socket> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Everything the server sends on `socket` until it closes the connection, and the error, if it reset it instead. */
export function readUntilClosed(socket: Socket): Promise<{ text: string; error?: Error }> {
  return new Promise((resolve) => {
    let text = '';
    let error: Error | undefined;
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', (e) => (error = e));
    socket.on('close', () => resolve(error === undefined ? { text } : { text, error }));
  });
}
