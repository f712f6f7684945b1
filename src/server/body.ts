import type { IncomingMessage } from 'node:http';
import { EngramError } from '../index.js';
import { HttpError } from './http-errors.js';

/** 1 MiB: room for 100 messages of ordinary length; `add` refuses more than 100 anyway. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * Reads a request body as a JSON object, refusing it (413) as soon as it
 * passes `maxBytes`: a declared `Content-Length` over the limit is refused
 * before anything is read, a chunked body while it streams, so an oversized
 * body is never held in memory. An empty or non-JSON body, or JSON that is not
 * an object, is INVALID_INPUT (400).
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readText(req, maxBytes);
  if (text.trim() === '') throw new EngramError('INVALID_INPUT', 'the request body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EngramError('INVALID_INPUT', 'the request body is not valid JSON; send a JSON object', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngramError('INVALID_INPUT', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes (the server's --max-body)`, {
    connection: 'close',
  });
}

function readText(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
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
        resolve(decodeUtf8(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => onError(new Error('the client closed the connection before the body ended'));
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

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new EngramError('INVALID_INPUT', 'the request body is not valid UTF-8', { cause: error });
  }
}
