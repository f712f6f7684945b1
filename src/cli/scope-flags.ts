import { userInfo } from 'node:os';
import { ScopeSchema, type Scope } from '../index.js';
import { flagValue } from './args.js';
import { UsageError } from './command.js';

/** The parseArgs options that choose whose memories a command works on. */
export const SCOPE_OPTIONS = {
  user: { type: 'string' },
  agent: { type: 'string' },
  run: { type: 'string' },
} as const;

export type ScopeFlags = { user?: string | undefined; agent?: string | undefined; run?: string | undefined };
type Env = Record<string, string | undefined>;

/**
 * The scope from `--user` / `--agent` / `--run`, else `ENGRAM_USER_ID` /
 * `ENGRAM_AGENT_ID` from `env`. When none is given, `defaultUser` decides:
 * 'os-user' uses your OS user name (as `engram mcp` does, so both see the same
 * memories; `onDefault` hears of it, so a writing command can say so);
 * 'required' refuses (for `forget`, which must never guess).
 */
export function scopeFromFlags(values: ScopeFlags, env: Env, defaultUser: 'os-user' | 'required', onDefault?: (user: string) => void): Scope {
  const given = {
    userId: values.user ?? (env.ENGRAM_USER_ID || undefined),
    agentId: values.agent ?? (env.ENGRAM_AGENT_ID || undefined),
    runId: values.run,
  };
  const explicit = given.userId !== undefined || given.agentId !== undefined || given.runId !== undefined;
  if (!explicit) {
    const fallback = defaultUser === 'os-user' ? osUserName(env) : undefined;
    if (fallback === undefined) throw new UsageError('say whose memories: --user <id> (or --agent <id>, --run <id>)');
    given.userId = fallback;
    onDefault?.(fallback);
  }
  const scope: Scope = flagValue('--user/--agent/--run', ScopeSchema, given);
  for (const key of ['userId', 'agentId', 'runId'] as const) if (scope[key] === undefined) delete scope[key];
  return scope;
}

/** "user alice, agent coach" */
export function describeScope(scope: Scope): string {
  const parts: string[] = [];
  if (scope.userId !== undefined) parts.push(`user ${scope.userId}`);
  if (scope.agentId !== undefined) parts.push(`agent ${scope.agentId}`);
  if (scope.runId !== undefined) parts.push(`run ${scope.runId}`);
  return parts.join(', ');
}

function osUserName(env: Env): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    // No passwd entry (some containers).
    return env.USER || env.USERNAME || undefined;
  }
}
