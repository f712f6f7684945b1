import { EngramError, isEngramError, type Memory } from '../index.js';
import type { CliIo } from './command.js';
import { openConfiguredMemory, resolveRuntimeConfig, type RuntimeConfig, type StoreFlags } from './runtime-config.js';

/**
 * Opens the configured store (flags, else environment, else defaults), runs
 * `use`, and closes the store whatever happens. Only commands that write new
 * memories (`create`: add, import) create a missing file: a read on a
 * mistyped path must not leave an empty database and folders behind.
 */
export async function withMemory<T>(
  flags: StoreFlags,
  io: CliIo,
  use: (memory: Memory, config: RuntimeConfig) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const config = resolveRuntimeConfig(flags, io.env);
  const memory = await openConfiguredMemory(config, { create: options.create ?? false }).catch((error: unknown) => {
    throw inCliTerms(error, config);
  });
  try {
    return await use(memory, config);
  } finally {
    await memory.close();
  }
}

/** A missing model or file, explained with the CLI's flags rather than the API's options. */
export function inCliTerms(error: unknown, config: Pick<RuntimeConfig, 'embeddingModel' | 'db'>): unknown {
  if (isEngramError(error, 'MODEL_NOT_FOUND')) {
    const fix = 'download one with `engram models pull`, or choose a folder with --embedding-model (ENGRAM_EMBEDDING_MODEL)';
    return new EngramError('MODEL_NOT_FOUND', `no embedding model at ${config.embeddingModel}: ${fix}`, { cause: error });
  }
  if (isEngramError(error, 'FILE_NOT_FOUND')) {
    const fix = 'check --db (ENGRAM_DB); `engram add` or `engram import` create a new one';
    return new EngramError('FILE_NOT_FOUND', `no database at ${config.db} (nothing was created): ${fix}`, { cause: error });
  }
  return error;
}
