import { displayedDatabase } from '../database-url.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { EngramError, type Llm, type Memory } from '../index.js';
import { assertSafeBinding, TokenSchema } from '../server/auth.js';
import { DEFAULT_MAX_BODY_BYTES } from '../server/json-body.js';
import type { RequestErrorReport } from '../server/create-server.js';
import { DEFAULT_HOST, DEFAULT_PORT, startServer, type RunningServer } from '../server/start-server.js';
import { GRAPH_OPTION, openConfiguredMemory, resolveRuntimeConfig, STORE_OPTIONS } from './runtime-config.js';
import { inSurfaceTerms } from './surface-terms.js';
import { reportQueueWork } from './queue-log.js';
import { stopRequested } from './stop-requested.js';

export const SERVE_USAGE = `engram serve — a Mem0-compatible REST server over one memory file

Usage:
  engram serve [--host <addr>] [--port <n>] [--token <secret>] [--max-body <bytes>] [--verbose] [--no-worker] [--graph]
               [--db <file>] [--embedding-model <folder>] [--llm-model <file.gguf>] [--models-dir <dir>]

Options:
  --host <addr>        address to listen on (default: ${DEFAULT_HOST}). Anything but a loopback
                       address needs a token
  --port <n>           TCP port (default: ${DEFAULT_PORT}; 0 picks a free one, the printed URL tells which)
  --token <secret>     require the token on every request except GET /health, as "Authorization: Bearer
                       <secret>", "Authorization: Token <secret>" (Mem0's clients) or "X-API-Key: <secret>";
                       at least 16 characters (env ENGRAM_TOKEN — better: a command line is visible
                       to other users of the machine)
  --max-body <bytes>   largest request body; larger ones get 413 (default: ${DEFAULT_MAX_BODY_BYTES})
  --verbose            print every failed or aborted request, and every finished queued add, to stderr
  --no-worker          leave the queued adds (POST /memories with "async_mode": true) to \`engram worker\`
                       processes; by default this server works the queue itself when it has an LLM file
  --graph              keep the entity graph while adding (env ENGRAM_GRAPH=1); the /graph routes read it
                       either way
  --db <file|url>      SQLite file or postgres:// URL (env ENGRAM_DB; default: the user's data folder)
  --embedding-model <folder>, --llm-model <file.gguf>, --models-dir <dir>
                       the local models (env ENGRAM_EMBEDDING_MODEL, ENGRAM_LLM_MODEL, ENGRAM_MODELS_DIR)

MCP clients set up for OpenMemory connect at /mcp/<client>/sse/<user> (SSE, and Streamable HTTP) or
/mcp/<client>/http/<user> (Streamable HTTP), with the same token; <user> is whose memories they see.
Mem0's official clients (mem0ai) work with host = this URL and apiKey = the token.

Prints the URL once listening. Ctrl-C or SIGTERM stops it: requests in flight finish, the queued add
being extracted lands, then the file is closed. Routes: see the README, section "REST server".
`;

export const UI_USAGE = `engram ui — the local page: see, search and correct what is remembered

Usage:
  engram ui [--port <n>] [--token <secret>] [--db <file>] [the options of engram serve]

Starts \`engram serve\` and prints the page's address. Unless a token is given (--token or
ENGRAM_TOKEN), a new random one is made for this run: the printed link carries it after "#",
which the browser keeps to itself (it never reaches a server log); the page keeps it in the tab.
Loopback only unless --host and a token are given, as for \`engram serve\`; every asset is
served by Engram itself (works offline). \`engram serve\` serves the same page at its own URL.
`;

export type ServeCommandIo = {
  out: (line: string) => void;
  err: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Stops the server like SIGTERM does (for embedding and tests). */
  signal?: AbortSignal;
  /** An LLM object instead of the configured GGUF file (for embedding and tests). */
  llm?: Llm | undefined;
};

const ServeArgsSchema = z.strictObject({
  host: z.string().min(1, { error: '--host must not be empty' }),
  port: z
    .string()
    .regex(/^\d{1,5}$/, { error: '--port must be a number from 0 to 65535' })
    .transform(Number)
    .refine((n) => n <= 65_535, { error: '--port must be a number from 0 to 65535' }),
  token: TokenSchema.optional(),
  maxBodyBytes: z
    .string()
    .regex(/^\d{1,10}$/, { error: '--max-body must be a number of bytes' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1_073_741_824, { error: '--max-body must be between 1 and 1073741824 bytes' }),
  verbose: z.boolean(),
  worker: z.boolean(),
});
type ServeArgs = z.output<typeof ServeArgsSchema>;

/**
 * `engram serve`: opens the configured store, serves it over HTTP until
 * SIGINT/SIGTERM (or `io.signal`), then closes the server and the store.
 * Returns the exit code: 0 after a clean stop, 1 when the port cannot be
 * bound, 2 for bad usage (including a non-loopback host without a token).
 * Engram errors from opening the store are thrown (the CLI prints them, exit 1).
 */
export async function runServeCommand(argv: string[], io: ServeCommandIo, mode: 'serve' | 'ui' = 'serve'): Promise<number> {
  const parsed = parseServeArgs(argv, io, mode);
  if (typeof parsed === 'number') return parsed;
  const { args, storeFlags } = parsed;
  const config = resolveRuntimeConfig(storeFlags, io.env);
  const memory = await openConfiguredMemory(config, { worker: args.worker, llm: io.llm }).catch((error: unknown) => {
    throw inSurfaceTerms(error, 'cli', config);
  });
  const stopReporting = reportQueueWork(memory, config, { prefix: 'engram serve', verbose: args.verbose, write: (line) => io.err.write(`${line}\n`) });
  let running: RunningServer;
  try {
    running = await startServer(memory, {
      host: args.host,
      port: args.port,
      token: args.token,
      maxBodyBytes: args.maxBodyBytes,
      // Queued adds are worked by this process when it has an LLM, else by `engram worker` (--no-worker); with neither they would wait forever.
      queueAdds: () => !args.worker || io.llm !== undefined || config.llmUrl !== undefined || existsSync(config.llmModel),
      explainError: (error) => inSurfaceTerms(error, 'rest', config),
      mcp: { explainError: (error) => inSurfaceTerms(error, 'mcp', config) },
      onError: args.verbose ? (report) => io.err.write(describeFailure(report)) : undefined,
    });
  } catch (error) {
    stopReporting();
    await memory.close();
    return listenFailure(error, args, io);
  }
  io.out(`engram ${mode}: listening on ${running.url} (db: ${displayedDatabase(config.db)}${config.graph ? ', entity graph on' : ''})`);
  // The fragment keeps the token out of request lines and logs; the page reads it and drops it from the address bar.
  if (mode === 'ui') io.out(`engram ui: open ${running.url}/${args.token ? `#token=${encodeURIComponent(args.token)}` : ''}  (the link carries this run's token)`);
  else io.out(`engram serve: the page is at ${running.url}/${args.token ? ' (it asks for the token)' : ''}`);
  await stopRequested(io.signal);
  await shutdown(running, memory);
  stopReporting();
  return 0;
}

type StoreFlags = Parameters<typeof resolveRuntimeConfig>[0];

function parseServeArgs(argv: string[], io: ServeCommandIo, mode: 'serve' | 'ui'): { args: ServeArgs; storeFlags: StoreFlags } | number {
  const usage = mode === 'ui' ? UI_USAGE : SERVE_USAGE;
  let values: ReturnType<typeof parse>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) return usageError(io, error.message, mode);
    throw error;
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (positionals.length > 0) return usageError(io, `unexpected argument "${positionals[0]}"`, mode);
  const args = ServeArgsSchema.safeParse({
    host: values.host ?? DEFAULT_HOST,
    port: values.port ?? String(DEFAULT_PORT),
    // The page always gets a token: other programs and other local users reach loopback too.
    token: values.token ?? (io.env.ENGRAM_TOKEN || undefined) ?? (mode === 'ui' ? randomBytes(24).toString('hex') : undefined),
    maxBodyBytes: values['max-body'] ?? String(DEFAULT_MAX_BODY_BYTES),
    verbose: values.verbose ?? false,
    worker: !(values['no-worker'] ?? false),
  });
  if (!args.success) return usageError(io, args.error.issues.map((i) => i.message).join('; '), mode);
  try {
    assertSafeBinding(args.data.host, args.data.token);
  } catch (error) {
    if (error instanceof EngramError) return usageError(io, error.message, mode);
    throw error;
  }
  return { args: args.data, storeFlags: values };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...STORE_OPTIONS,
      ...GRAPH_OPTION,
      host: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
      'max-body': { type: 'string' },
      verbose: { type: 'boolean' },
      'no-worker': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function usageError(io: ServeCommandIo, message: string, mode: 'serve' | 'ui'): number {
  io.err.write(`engram ${mode}: ${message}\n\n${mode === 'ui' ? UI_USAGE : SERVE_USAGE}`);
  return 2;
}

function listenFailure(error: unknown, args: ServeArgs, io: ServeCommandIo): number {
  const code = (error as { code?: unknown }).code;
  const where = `${args.host}:${args.port}`;
  if (code === 'EADDRINUSE') {
    io.err.write(`engram serve: ${where} is already in use; choose another --port (an engram serve already there serves the page at its own URL)\n`);
  }
  else if (code === 'EACCES') io.err.write(`engram serve: not allowed to listen on ${where}; choose a --port above 1023\n`);
  else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') io.err.write(`engram serve: ${args.host} is not an address of this machine\n`);
  else throw error;
  return 1;
}

/** One line per failed request; the stack only for unexpected (500) failures. A client hanging up is its own doing, not a failure. */
function describeFailure(report: RequestErrorReport): string {
  const message = report.error instanceof Error ? report.error.message : String(report.error);
  if (report.code === 'REQUEST_ABORTED') return `engram serve: ${report.method} ${report.path} aborted: ${message} (nothing answered)\n`;
  const stack = report.status === 500 && report.error instanceof Error && report.error.stack ? `\n${report.error.stack}` : '';
  return `engram serve: ${report.method} ${report.path} → ${report.status} ${report.code}: ${message}${stack}\n`;
}

/** Closes the server (a second signal cuts the requests still running), then the store. */
async function shutdown(running: RunningServer, memory: Memory): Promise<void> {
  const hurry = () => running.server.closeAllConnections();
  process.on('SIGINT', hurry);
  process.on('SIGTERM', hurry);
  try {
    await running.close();
  } finally {
    process.off('SIGINT', hurry);
    process.off('SIGTERM', hurry);
    await memory.close();
  }
}
