import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach } from 'vitest';
import type { Memory } from 'engram-memory';
import { createMcpServer, type EngramMcpServerOptions } from '../../src/mcp/create-mcp-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An MCP client connected in-process to a server over `memory`; closed after the test. */
export async function connectInProcess(memory: Memory, options: EngramMcpServerOptions): Promise<Client> {
  const server = createMcpServer(memory, options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'engram-test', version: '0.0.0' });
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

/** A running `engram mcp` process and the client talking to it. */
export type SpawnedServer = {
  client: Client;
  /** What the server wrote to stderr so far. */
  stderr: () => string;
  /** Errors the client transport saw (e.g. a stdout line that is not JSON-RPC). */
  transportErrors: Error[];
};

/** Starts the real CLI (`engram mcp …`) as a child process and connects a client over stdio; stopped after the test. */
export async function spawnMcpServer(args: string[]): Promise<SpawnedServer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp', ...args],
    cwd: root,
    // Only the SDK's safe defaults: no ENGRAM_* variable of the developer's shell leaks in.
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'engram-test', version: '0.0.0' });
  const transportErrors: Error[] = [];
  client.onerror = (error) => transportErrors.push(error);
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, stderr: () => stderr, transportErrors };
}

/** The text of a tool result. */
export function textOf(result: CallToolResult | Record<string, unknown>): string {
  const content = (result as CallToolResult).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Calls a tool and returns its result, typed. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The text of a tool result read as JSON, as the OpenMemory-named tools write it. */
export function jsonOf<T = unknown>(result: CallToolResult | Record<string, unknown>): T {
  return JSON.parse(textOf(result)) as T;
}
