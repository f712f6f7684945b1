import { EngramError, isEngramError, type Memory } from '../index.js';
import type { CliIo } from './command.js';
import { openConfiguredMemory, resolveRuntimeConfig, type RuntimeConfig, type StoreFlags } from './runtime-config.js';

/**
 * Opens the configured store (flags, else environment, else defaults), runs
 * `use`, and closes the store whatever happens.
 */
export async function withMemory<T>(flags: StoreFlags, io: CliIo, use: (memory: Memory, config: RuntimeConfig) => Promise<T>): Promise<T> {
  const config = resolveRuntimeConfig(flags, io.env);
  const memory = await openConfiguredMemory(config).catch((error: unknown) => {
    throw inCliTerms(error, config.embeddingModel);
  });
  try {
    return await use(memory, config);
  } finally {
    await memory.close();
  }
}

/** A missing embedding model, explained with the CLI's flags rather than the API's options. */
export function inCliTerms(error: unknown, embeddingModel: string): unknown {
  if (!isEngramError(error, 'MODEL_NOT_FOUND')) return error;
  const fix = 'download one with `engram models pull`, or choose a folder with --embedding-model (ENGRAM_EMBEDDING_MODEL)';
  return new EngramError('MODEL_NOT_FOUND', `no embedding model at ${embeddingModel}: ${fix}`, { cause: error });
}
