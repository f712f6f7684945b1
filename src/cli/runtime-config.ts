import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LlamaCppLlm } from '../llm/llama-cpp-llm.js';
import { z } from 'zod';
import { integerFlag } from './args.js';
import { UsageError } from './command.js';
import { Memory } from '../memory.js';
import type { Llm } from '../index.js';

/** The parseArgs options every command that opens a store shares. */
export const STORE_OPTIONS = {
  db: { type: 'string' },
  'embedding-model': { type: 'string' },
  'llm-model': { type: 'string' },
  'models-dir': { type: 'string' },
  'llm-threads': { type: 'string' },
  'llm-context': { type: 'string' },
} as const;

/**
 * `--graph`: keep the entity graph while writing (Memory.open's `graph`). Only
 * the commands whose writes it changes take it (add, update, worker, serve,
 * mcp); reading the graph (`engram graph`) needs no switch, and `import`
 * brings an export's graph records whatever it says.
 */
export const GRAPH_OPTION = { graph: { type: 'boolean' } } as const;

/** The usage line of GRAPH_OPTION. */
export const GRAPH_USAGE = '  --graph                     keep the entity graph (env ENGRAM_GRAPH=1): the people, places and things named';

export type StoreFlags = {
  db?: string | undefined;
  'embedding-model'?: string | undefined;
  'llm-model'?: string | undefined;
  'models-dir'?: string | undefined;
  'llm-threads'?: string | undefined;
  'llm-context'?: string | undefined;
  graph?: boolean | undefined;
};
type Env = Record<string, string | undefined>;

export type RuntimeConfig = {
  db: string;
  modelsDir: string;
  /** A transformers.js folder, or with `embeddingUrl` the model's name on that server. */
  embeddingModel: string;
  /** An OpenAI-compatible server on this machine that embeds (ENGRAM_EMBEDDING_URL), instead of a model folder. */
  embeddingUrl: string | undefined;
  /** A GGUF file, or with `llmUrl` the model's name on that server. */
  llmModel: string;
  /** An OpenAI-compatible server on this machine that runs the LLM (ENGRAM_LLM_URL), instead of a GGUF file. */
  llmUrl: string | undefined;
  /** llama.cpp threads; undefined: the physical cores this process may use. */
  llmThreads: number | undefined;
  /** llama.cpp context size in tokens; undefined: the library's default (4096). */
  llmContextSize: number | undefined;
  encryptionKey: string | undefined;
  /** Keep the entity graph while writing (`--graph`, ENGRAM_GRAPH=1). */
  graph: boolean;
};

/**
 * Where a command finds its database and models: a flag, else an environment
 * variable, else the default — the user's data folder for the database, and
 * `./models` (when present) or the data folder for models. An encrypted
 * database's key comes from ENGRAM_KEY.
 */
export function resolveRuntimeConfig(flags: StoreFlags, env: Env = process.env): RuntimeConfig {
  const dataDir = userDataDir(env);
  const modelsDir = flags['models-dir'] || env.ENGRAM_MODELS_DIR || (existsSync('models') ? 'models' : join(dataDir, 'models'));
  const embeddingModel = flags['embedding-model'] || env.ENGRAM_EMBEDDING_MODEL;
  const llmModel = flags['llm-model'] || env.ENGRAM_LLM_MODEL;
  const embeddingUrl = serverUrl('ENGRAM_EMBEDDING_URL', env.ENGRAM_EMBEDDING_URL, embeddingModel, '--embedding-model (ENGRAM_EMBEDDING_MODEL)', 'nomic-embed-text');
  const llmUrl = serverUrl('ENGRAM_LLM_URL', env.ENGRAM_LLM_URL, llmModel, '--llm-model (ENGRAM_LLM_MODEL)', 'qwen2.5:7b-instruct');
  return {
    db: flags.db || env.ENGRAM_DB || join(dataDir, 'memory.db'),
    modelsDir,
    embeddingModel: embeddingModel || join(modelsDir, 'embedding'),
    embeddingUrl,
    llmModel: llmModel || join(modelsDir, 'llm.gguf'),
    llmUrl,
    llmThreads: wholeNumber(flags['llm-threads'], '--llm-threads', env.ENGRAM_LLM_THREADS, 'ENGRAM_LLM_THREADS', 1, 256),
    llmContextSize: wholeNumber(flags['llm-context'], '--llm-context', env.ENGRAM_LLM_CONTEXT, 'ENGRAM_LLM_CONTEXT', 512, 131_072),
    // Never a flag: a key on the command line would land in shell history and `ps`.
    encryptionKey: env.ENGRAM_KEY || undefined,
    graph: flags.graph ?? switchVariable('ENGRAM_GRAPH', env.ENGRAM_GRAPH),
  };
}

export type OpenMemoryOptions = {
  /** Create a missing database file. @default true */
  create?: boolean | undefined;
  /**
   * Work the store's extraction queue in the background. Only the commands
   * that keep running (serve, mcp, worker) do: a one-shot command must never
   * start extracting someone else's queued add and then exit mid-way.
   * @default false
   */
  worker?: boolean | undefined;
  /** Scopes the worker works at once. @default 1 */
  concurrency?: number | undefined;
  /** The LLM file must exist now (`engram worker`): MODEL_NOT_FOUND at open rather than at the first job. */
  requireLlm?: boolean | undefined;
  /** An LLM object instead of the configured GGUF file (embedding the CLI; tests drive inference with a scripted one). */
  llm?: Llm | undefined;
};

const server = (baseUrl: string, model: string) => ({ openaiCompatible: { baseUrl, model } });

/** The embedder the configuration names: a local folder, or a model on an OpenAI-compatible server (ENGRAM_EMBEDDING_URL). */
export function configuredEmbedder(config: RuntimeConfig) {
  return config.embeddingUrl ? server(config.embeddingUrl, config.embeddingModel) : { model: config.embeddingModel };
}

/** Opens the store a command works on. The LLM file is only needed (and checked) by an inferring add, unless `requireLlm`. */
export function openConfiguredMemory(config: RuntimeConfig, options: OpenMemoryOptions = {}): Promise<Memory> {
  const llm = {
    model: config.llmModel,
    ...(config.llmThreads === undefined ? {} : { threads: config.llmThreads }),
    ...(config.llmContextSize === undefined ? {} : { contextSize: config.llmContextSize }),
  };
  return Memory.open({
    path: config.db,
    create: options.create ?? true,
    embedder: configuredEmbedder(config),
    // A missing GGUF must not stop search or list: an instance defers the check to the first inferring add.
    llm: options.llm ?? (config.llmUrl ? server(config.llmUrl, config.llmModel) : options.requireLlm || existsSync(config.llmModel) ? llm : new LlamaCppLlm(llm)),
    queue: { worker: options.worker ?? false, concurrency: options.concurrency ?? 1 },
    ...(config.encryptionKey ? { encryptionKey: config.encryptionKey } : {}),
    graph: config.graph,
  });
}

/** ENGRAM_LLM_URL / ENGRAM_EMBEDDING_URL: a server's URL needs the model's name on it, never the default file path. */
function serverUrl(name: string, url: string | undefined, model: string | undefined, modelSetting: string, example: string): string | undefined {
  if (url === undefined || url.trim() === '') return undefined;
  if (!model) throw new UsageError(`${name} is set, so ${modelSetting} must name the model on that server (e.g. ${example})`);
  return url.trim();
}

/** The per-user data folder: XDG on Linux, Application Support on macOS, AppData on Windows. */
export function userDataDir(env: Env = process.env): string {
  if (env.ENGRAM_HOME) return env.ENGRAM_HOME;
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'engram');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'engram');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'engram');
}

const SwitchSchema = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']);

/** An on/off environment variable: unset or empty is off; anything but 1/0, true/false, yes/no, on/off is bad usage, not a silent off. */
function switchVariable(name: string, value: string | undefined): boolean {
  if (value === undefined || value.trim() === '') return false;
  const parsed = SwitchSchema.safeParse(value.trim().toLowerCase());
  if (!parsed.success) throw new UsageError(`${name} must be 1 or 0 (true/false, yes/no, on/off), not "${value}"`);
  return ['1', 'true', 'yes', 'on'].includes(parsed.data);
}

/** A whole-number setting from its flag, else its environment variable; a bad value names whichever was given. */
function wholeNumber(flag: string | undefined, flagName: string, envValue: string | undefined, envName: string, min: number, max: number): number | undefined {
  if (flag !== undefined) return integerFlag(flagName, flag, min, max);
  if (envValue === undefined || envValue === '') return undefined;
  return integerFlag(envName, envValue, min, max);
}
