import type { Memory } from '../index.js';
import type { CliIo } from './command.js';
import { inSurfaceTerms } from './surface-terms.js';
import { openConfiguredMemory, resolveRuntimeConfig, type RuntimeConfig, type StoreFlags } from './runtime-config.js';

/**
 * Opens the configured store (flags, else environment, else defaults), runs
 * `use`, and closes the store whatever happens. Only commands that write new
 * memories (`create`: add, import) create a missing file: a read on a
 * mistyped path must not leave an empty database and folders behind. The
 * store's queue is not worked in the background: a one-shot command only
 * drives the add it waits for (`engram worker` works the rest).
 */
export async function withMemory<T>(
  flags: StoreFlags,
  io: CliIo,
  use: (memory: Memory, config: RuntimeConfig) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const config = resolveRuntimeConfig(flags, io.env);
  const memory = await openConfiguredMemory(config, { create: options.create ?? false, worker: false, llm: io.llm }).catch((error: unknown) => {
    throw inSurfaceTerms(error, 'cli', config);
  });
  try {
    return await use(memory, config);
  } catch (error) {
    throw inSurfaceTerms(error, 'cli', config);
  } finally {
    await memory.close();
  }
}

