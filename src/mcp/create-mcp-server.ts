import { packageVersion } from '../version.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { EngramError, ScopeSchema, type Memory } from '../index.js';
import type { ServerScope } from './scope.js';
import { registerMemoryTools } from './tools.js';

export type EngramMcpServerOptions = {
  /** The user (and optionally agent) every tool call acts for. */
  scope: ServerScope;
  /**
   * Let clients pass `user_id` / `agent_id` to the tools. Off by default: a
   * client then can neither read nor delete another user's memories.
   * @default false
   */
  allowScopeOverride?: boolean | undefined;
  /** Rewrites an error before a tool reports it, e.g. to phrase its fix for this server (`engram mcp` does). */
  explainError?: ((error: unknown) => unknown) | undefined;
  /**
   * Answer add_memories with inference at once, queueing the add for a worker
   * (`memory.add` with `wait: false`), instead of waiting for the LLM, which
   * may take longer than a client waits for a tool. Only when something works
   * the queue: this Memory's worker (it has an LLM) or `engram worker`
   * processes; otherwise the add would wait forever, whereas a waited add
   * reports that there is no LLM. A function is asked at each call. `engram
   * mcp` queues when it has an LLM file, or runs with `--no-worker`.
   * @default false
   */
  queueAdds?: boolean | (() => boolean) | undefined;
  /** Reported to clients in the MCP handshake. @default Engram's package version */
  version?: string | undefined;
  /**
   * The name of the MCP client (`cursor`, `claude`, …), as OpenMemory's URLs
   * carry it: recorded as `metadata.mcp_client` on what add_memories stores.
   * @default none (nothing is recorded)
   */
  client?: string | undefined;
};

const INSTRUCTIONS =
  "Engram is the user's long-term memory, kept on their own machine. Search it (search_memory) before answering anything " +
  'that may depend on what the user told you in earlier conversations, and store (add_memories) durable facts they share. ' +
  'To see how a person, place or thing the user mentioned relates to others, ask the entity graph (search_graph).';

/**
 * An MCP server exposing a Memory as tools, named and answering as
 * OpenMemory's: `add_memories`, `search_memory`, `list_memories`,
 * `delete_memories`, `delete_all_memories`; with Engram's `delete_memory` and
 * `search_graph` over the entity graph. Connect it to a transport with
 * `server.connect(transport)`; it does not own the Memory.
 *
 * @example
 * const server = createMcpServer(memory, { scope: { userId: 'alice' } });
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(memory: Memory, options: EngramMcpServerOptions): McpServer {
  const scope = validScope(options.scope);
  const allowScopeOverride = options.allowScopeOverride ?? false;
  const whose = allowScopeOverride
    ? ' The tools use the memories of the server\'s user unless you pass user_id.'
    : ' The tools only ever see the memories of the user this server was started for.';
  const server = new McpServer({ name: 'engram', version: options.version ?? packageVersion() }, { instructions: INSTRUCTIONS + whose });
  const { queueAdds = false } = options;
  registerMemoryTools(server, {
    memory,
    scope,
    allowScopeOverride,
    explainError: options.explainError,
    queueAdds: typeof queueAdds === 'function' ? queueAdds : () => queueAdds,
    client: options.client,
  });
  return server;
}

/** A bad scope fails at start, not on every call. */
function validScope(scope: ServerScope): ServerScope {
  const parsed = ScopeSchema.safeParse(scope);
  if (!parsed.success || parsed.data.userId === undefined) {
    const reason = parsed.success ? 'a user id is required' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EngramError('INVALID_INPUT', `invalid MCP server scope (${reason})`);
  }
  return { userId: parsed.data.userId, agentId: parsed.data.agentId };
}
