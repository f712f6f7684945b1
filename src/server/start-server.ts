import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Memory } from '../index.js';
import { assertSafeBinding } from './auth.js';
import { createServer, type ServerOptions } from './create-server.js';

/** Loopback: only programs on this machine can connect. */
export const DEFAULT_HOST = '127.0.0.1';
/** Engram's REST port (Mem0's server uses 8000; this avoids clashing with it). */
export const DEFAULT_PORT = 8765;
/** How long `close()` lets requests in flight finish before cutting their connections. */
export const DEFAULT_GRACE_MS = 10_000;

export type StartServerOptions = ServerOptions & {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port (see `port` and `url` of the result). @default 8765 */
  port?: number;
};

/** A listening server. */
export type RunningServer = {
  server: Server;
  /** e.g. `http://127.0.0.1:8765`. */
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets requests in flight finish (up to
   * `graceMs`, then cuts them) and resolves once the server is closed. Does
   * not close the memory.
   */
  close(graceMs?: number): Promise<void>;
};

/**
 * Starts the REST server on `host:port`. Binding anything but a loopback
 * address without a `token` is refused (INVALID_INPUT) before any socket opens.
 *
 * @example
 * const running = await startServer(memory, { port: 0 });
 * console.log(running.url);
 * await running.close();
 * await memory.close();
 */
export async function startServer(memory: Memory, options: StartServerOptions = {}): Promise<RunningServer> {
  const { host = DEFAULT_HOST, port = DEFAULT_PORT, ...serverOptions } = options;
  assertSafeBinding(host, serverOptions.token);
  const server = createServer(memory, serverOptions);
  await listen(server, host, port);
  const actualPort = (server.address() as AddressInfo).port;
  return { server, url: `http://${urlHost(host)}:${actualPort}`, port: actualPort, close: (graceMs) => closeServer(server, graceMs) };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function closeServer(server: Server, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    // Idle keep-alive connections close at once (Node ≥ 19); busy ones get the grace period.
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
