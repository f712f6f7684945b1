import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { EngramError } from '../index.js';
import { HttpError } from './http-errors.js';

/** The shortest bearer token the server accepts: a guessable token is no protection. */
export const MIN_TOKEN_LENGTH = 16;

/** A bearer token: long enough not to be guessed, and safe in an HTTP header. */
export const TokenSchema = z
  .string()
  .min(MIN_TOKEN_LENGTH, { error: `the token must be at least ${MIN_TOKEN_LENGTH} characters; use e.g. \`openssl rand -hex 32\`` })
  .regex(/^[\x21-\x7e]+$/, { error: 'the token must be printable ASCII without spaces (it travels in an HTTP header)' });

/** True for host names and addresses that only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The binding rule: loopback needs nothing; any other address (0.0.0.0, a LAN
 * address, a host name) exposes every memory in the file to the network, so it
 * needs a bearer token. Throws INVALID_INPUT saying how to fix it.
 */
export function assertSafeBinding(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopbackHost(host)) {
    throw new EngramError(
      'INVALID_INPUT',
      `refusing to listen on ${host} without a token: anyone who can reach it could read and erase every memory. ` +
        'Set ENGRAM_TOKEN (or --token) to a long random secret, e.g. `openssl rand -hex 32`, or bind 127.0.0.1',
    );
  }
}

/** Request headers by lower-case name, as Hono's `c.req.header()` gives them. */
export type Headers = Readonly<Record<string, string | undefined>>;

/**
 * The key a request presents, in any form Mem0's clients and others send it:
 * `Authorization: Bearer <key>`, `Authorization: Token <key>` (Mem0's
 * clients), or `X-API-Key: <key>`.
 */
function presentedKey(headers: Headers): string | undefined {
  const match = /^(?:Bearer|Token)[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '');
  return match?.[1] ?? headers['x-api-key']?.trim();
}

/**
 * Checks the presented key in constant time (both sides are hashed first, so
 * neither the token nor its length leaks through timing). Throws 401 UNAUTHORIZED.
 */
export function requireToken(headers: Headers, token: string): void {
  const given = presentedKey(headers);
  if (given === undefined || given === '' || !timingSafeEqual(digest(given), digest(token))) {
    const message =
      given === undefined
        ? 'this server needs its token: `Authorization: Bearer <token>` (or `Token <token>`, or `X-API-Key: <token>`)'
        : 'the token is wrong';
    throw new HttpError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'Bearer realm="engram"' });
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Without a token, the server trusts everything that reaches the loopback
 * interface — except a web browser acting for some other web page. Two checks
 * keep pages out: the `Host` must be a loopback name (a DNS-rebinding page
 * sends its own domain), and an `Origin`, when present, must be this server's
 * own (its page's): a cross-site form or fetch sends the page's origin, and so
 * does a page of another program on another loopback port. Non-browser
 * clients (curl, SDKs) send no Origin and pass. Throws 403 FORBIDDEN.
 */
export function requireLocalCaller(headers: Headers): void {
  const host = headers.host;
  if (host !== undefined && !isLoopbackHost(hostName(host))) {
    throw new HttpError(403, 'FORBIDDEN', `requests must be addressed to a loopback host (localhost, 127.0.0.1, [::1]), not "${host}"`);
  }
  const origin = headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, host)) {
    throw new HttpError(403, 'FORBIDDEN', 'requests from web pages of other origins are refused; start the server with a token to allow remote clients');
  }
}

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** A loopback origin with this request's host and port (the page this server serves), or any loopback origin when no Host came (HTTP/1.0). */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  try {
    const url = new URL(origin);
    const loopback = (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
    return loopback && (host === undefined || url.host === new URL(`http://${host}`).host);
  } catch {
    return false;
  }
}
