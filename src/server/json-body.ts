import type { IncomingMessage } from 'node:http';
import { EngramError } from '../index.js';
import { HttpError } from './http-errors.js';
import type { ServerContext } from './route-table.js';

/** 1 MiB: room for 100 messages of ordinary length; `add` refuses more than 100 anyway. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * How deep arrays and objects may nest in a body. Far beyond any real request
 * (metadata stops at 8 levels), and shallow enough that no code walking the
 * parsed value recursively can exhaust the stack.
 */
export const MAX_JSON_DEPTH = 400;

/** nginx's status for a request the client abandoned; logged, never sent. */
const REQUEST_ABORTED_STATUS = 499;

/**
 * The request body as a JSON object, read from the Node request beneath Hono's
 * (the same stream, unread), refusing it (413) as soon as it passes `maxBytes`:
 * a declared `Content-Length` over the limit is refused before anything is
 * read, a chunked body while it streams, so an oversized body is never held in
 * memory. (Hono's body-limit middleware re-wraps the Request, which fails on
 * @hono/node-server's Request unless it replaces the process's globals.) An empty or non-JSON body, invalid UTF-8,
 * JSON nested deeper than `MAX_JSON_DEPTH`, or JSON that is not an object, is
 * INVALID_INPUT (400). A client that hangs up before the body ends is REQUEST_ABORTED.
 */
export async function readJsonBody(c: ServerContext, maxBytes: number): Promise<Record<string, unknown>> {
  const value = await readJsonValue(c, maxBytes);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngramError('INVALID_INPUT', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The request body as any JSON value (a JSON-RPC batch is an array), read and checked as `readJsonBody` does. */
export async function readJsonValue(c: ServerContext, maxBytes: number): Promise<unknown> {
  const text = decodeUtf8(await readBytes(c.env.incoming, maxBytes));
  if (text.trim() === '') throw new EngramError('INVALID_INPUT', 'the request body is empty; send a JSON object');
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new EngramError('INVALID_INPUT', `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; send flatter JSON`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EngramError('INVALID_INPUT', 'the request body is not valid JSON; send a JSON object', { cause: error });
  }
}

function readBytes(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  if (declaresTooLarge(req, maxBytes)) return Promise.reject(tooLarge(maxBytes));
  // Gone before we listened: its 'error' and 'close' will not come again.
  if (req.readableAborted) return Promise.reject(aborted(new Error('the connection closed before the body was read')));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Stop keeping the body but let it drain (destroying the request would also
      // destroy the socket before the 413 is sent); the connection closes after it.
      cleanup();
      chunks.length = 0;
      req.resume();
      reject(tooLarge(maxBytes));
    };
    const onEnd = () => {
      cleanup();
      try {
        resolve(Buffer.concat(chunks));
      } catch (error) {
        reject(error);
      }
    };
    // The request stream fails or closes early only when its connection does:
    // the client hung up (Node says "aborted", ECONNRESET).
    const onError = (error: Error) => {
      cleanup();
      reject(aborted(error));
    };
    const onClose = () => onError(new Error('the connection closed before the body ended'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes (the server's --max-body)`, {
    connection: 'close',
  });
}

/** Whether `error` says the client hung up mid-request (see `REQUEST_ABORTED`). */
export function isRequestAborted(error: unknown): boolean {
  return error instanceof HttpError && error.code === 'REQUEST_ABORTED';
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new EngramError('INVALID_INPUT', 'the request body is not valid UTF-8', { cause: error });
  }
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`, counted in one
 * pass over the text (brackets inside strings do not count), before anything
 * parses it. Malformed text is left for `JSON.parse` to refuse.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function aborted(cause: Error): HttpError {
  return new HttpError(REQUEST_ABORTED_STATUS, 'REQUEST_ABORTED', 'the client closed the connection before sending the whole body', {}, { cause });
}

/** Whether the request announces (`Content-Length`) a body over `maxBytes`, so it can be refused unread. */
export function declaresTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > maxBytes;
}
