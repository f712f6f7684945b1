import type { Scope } from '../index.js';

/** The scope a server acts in: always a user, optionally one of their agents. */
export type ServerScope = { userId: string; agentId?: string | undefined };

/** The scope arguments a tool accepts when the server allows scope override. */
export type ScopeOverride = { user_id?: string | undefined; agent_id?: string | undefined };

/**
 * The scope of one tool call: the server's, with a client's `user_id` /
 * `agent_id` taking its place only when the server was started with
 * `--allow-scope-override` (otherwise the tool schemas have no such inputs and
 * they never reach here).
 */
export function callScope(server: ServerScope, override: ScopeOverride, allowOverride: boolean): Scope {
  const userId = allowOverride && override.user_id !== undefined ? override.user_id : server.userId;
  const agentId = allowOverride && override.agent_id !== undefined ? override.agent_id : server.agentId;
  return agentId === undefined ? { userId } : { userId, agentId };
}
