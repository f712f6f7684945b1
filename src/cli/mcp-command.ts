import { displayedDatabase } from '../database-url.js';
import { userInfo } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { existsSync } from 'node:fs';
import { ScopeSchema, type Llm } from '../index.js';
import { routeConsoleToStderr } from '../mcp/console-to-stderr.js';
import { createMcpServer } from '../mcp/create-mcp-server.js';
import { DrainingTransport } from '../mcp/draining-transport.js';
import type { ServerScope } from '../mcp/scope.js';
import { GRAPH_OPTION, openConfiguredMemory, resolveRuntimeConfig, STORE_OPTIONS } from './runtime-config.js';
import { reportQueueWork } from './queue-log.js';
import { inSurfaceTerms } from './surface-terms.js';

export const MCP_USAGE = `engram mcp — serve your memories to an AI assistant over the Model Context Protocol (stdio)

Usage:
  engram mcp [--user <id>] [--agent <id>] [--allow-scope-override] [--no-worker] [--graph]
             [--db <file>] [--embedding-model <folder>] [--llm-model <file.gguf>] [--models-dir <dir>]

  A desktop assistant starts this command and talks MCP on its stdin and stdout
  (logs go to stderr). Tools, as OpenMemory names them: add_memories,
  search_memory, list_memories, delete_memories, delete_all_memories; and
  delete_memory, search_graph. Every tool works on the
  memories of --user (and --agent, when given) only. add_memories with
  inference answers at once: the text is queued, and this server's worker
  extracts the facts in the background (without an LLM file it fails, naming
  the fix, as it did before).

Options:
  --user <id>                 whose memories the tools use (env ENGRAM_USER_ID; default: your OS user name)
  --agent <id>                only this agent's memories of the user (env ENGRAM_AGENT_ID)
  --allow-scope-override      let clients pass user_id / agent_id to the tools (off by default: a client
                              can never read or delete another user's memories)
  --no-worker                 leave the queued adds to \`engram worker\` processes (add_memories still queues,
                              with or without an LLM file here); by default this server works the queue itself
  --graph                     keep the entity graph while adding (env ENGRAM_GRAPH=1); search_graph reads it
  --db <file|url>             SQLite file or postgres:// URL (env ENGRAM_DB; default: memory.db in your data folder)
  --embedding-model <folder>  embedding model folder (env ENGRAM_EMBEDDING_MODEL; default: <models dir>/embedding)
  --llm-model <file.gguf>     LLM for add_memories with infer (env ENGRAM_LLM_MODEL; default: <models dir>/llm.gguf)
  --models-dir <dir>          models folder (env ENGRAM_MODELS_DIR; default: ./models if present, else in your data folder)
`;

export type McpCommandIo = {
  /** Where protocol messages come from (process.stdin). */
  stdin: Readable;
  /** Where protocol messages go (process.stdout); nothing else is written there while serving. */
  stdout: Writable;
  /** One line of log or usage text, for stderr. */
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** An LLM object instead of the configured GGUF file (for embedding and tests). */
  llm?: Llm | undefined;
};

/** How long shutdown waits for unanswered requests: after the client closed stdin, and after a signal. */
const DRAIN_AFTER_EOF_MS = 120_000;
const DRAIN_AFTER_SIGNAL_MS = 5_000;

/**
 * `engram mcp`: serves the memory store over MCP on stdio until the client
 * closes stdin or the process gets SIGINT / SIGTERM, then answers what is
 * still pending and closes the store. Returns the exit code: 0 after a clean
 * shutdown, 2 on bad usage; Engram errors at start (a missing model, a foreign
 * database) are thrown for the caller to report on stderr.
 */
export async function runMcpCommand(argv: string[], io: McpCommandIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`engram mcp: ${error.message}\n\n${MCP_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (values.help) {
    io.stdout.write(MCP_USAGE);
    return 0;
  }
  const scope = serverScope(values, io.env);
  if (typeof scope === 'string') {
    io.err(`engram mcp: ${scope}\n\n${MCP_USAGE}`);
    return 2;
  }
  const config = resolveRuntimeConfig(values, io.env);
  const restoreConsole = routeConsoleToStderr();
  try {
    const worker = !(values['no-worker'] ?? false);
    const memory = await openConfiguredMemory(config, { worker, llm: io.llm }).catch((error: unknown) => {
      throw inSurfaceTerms(error, 'cli', config);
    });
    const stopReporting = reportQueueWork(memory, config, { prefix: 'engram mcp', verbose: true, write: io.err });
    try {
      const server = createMcpServer(memory, {
        scope,
        allowScopeOverride: values['allow-scope-override'] ?? false,
        explainError: (error) => inSurfaceTerms(error, 'mcp', config),
        // Queued adds are worked by this process when it has an LLM (the file may be pulled while it runs), else by `engram worker`.
        queueAdds: () => !worker || io.llm !== undefined || config.llmUrl !== undefined || existsSync(config.llmModel),
      });
      const transport = new DrainingTransport(new StdioServerTransport(io.stdin, io.stdout));
      const stop = stopSignal(io);
      server.server.onclose = () => stop.trigger('closed');
      await server.connect(transport);
      const who = scope.agentId === undefined ? `user "${scope.userId}"` : `user "${scope.userId}", agent "${scope.agentId}"`;
      io.err(`engram mcp: serving the memories of ${who} from ${displayedDatabase(config.db)}${config.graph ? ' (entity graph on)' : ''}`);
      const reason = await stop.stopped;
      await withTimeout(transport.idle(), reason === 'signal' ? DRAIN_AFTER_SIGNAL_MS : DRAIN_AFTER_EOF_MS);
      stop.dispose();
      await server.close();
    } finally {
      // Closing lets the add being extracted land; what is still queued waits for the next start (or a worker).
      await memory.close();
      stopReporting();
    }
  } finally {
    restoreConsole();
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ...STORE_OPTIONS,
      ...GRAPH_OPTION,
      user: { type: 'string' },
      agent: { type: 'string' },
      'allow-scope-override': { type: 'boolean' },
      'no-worker': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The scope from the flags, the environment, or the OS user name; a string says what is wrong. */
function serverScope(values: { user?: string | undefined; agent?: string | undefined }, env: McpCommandIo['env']): ServerScope | string {
  // An explicit --user "" is a mistake, not a request for the default.
  const userId = values.user ?? (env.ENGRAM_USER_ID || osUserName(env));
  if (userId === undefined) return 'no user id: pass --user <id> or set ENGRAM_USER_ID';
  const agentId = values.agent ?? (env.ENGRAM_AGENT_ID || undefined);
  const parsed = ScopeSchema.safeParse({ userId, agentId });
  if (!parsed.success) return `invalid --user or --agent: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
  return { userId, agentId };
}

function osUserName(env: McpCommandIo['env']): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    // No passwd entry (some containers).
    return env.USER || env.USERNAME || undefined;
  }
}

type StopReason = 'eof' | 'signal' | 'closed' | 'output-error';

/** Resolves once, on the first reason to stop serving. */
function stopSignal(io: McpCommandIo) {
  let trigger: (reason: StopReason) => void = () => undefined;
  const stopped = new Promise<StopReason>((resolve) => {
    trigger = resolve;
  });
  const onEof = () => trigger('eof');
  const onSignal = () => trigger('signal');
  // The client went away (EPIPE): nobody reads the answers any more.
  const onOutputError = () => trigger('output-error');
  io.stdin.once('end', onEof);
  io.stdin.once('close', onEof);
  io.stdout.on('error', onOutputError);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stopped,
    trigger: (reason: StopReason) => trigger(reason),
    dispose() {
      io.stdin.off('end', onEof);
      io.stdin.off('close', onEof);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // stdout keeps its error listener: a late EPIPE must not crash the process.
    },
  };
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
