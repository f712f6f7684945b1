import { EngramError, isEngramError } from '../index.js';
import type { RuntimeConfig } from './runtime-config.js';

/** Where an error is read: a person at the command line, a REST client, or a model calling MCP tools. */
export type Surface = 'cli' | 'rest' | 'mcp';

type Paths = Pick<RuntimeConfig, 'db' | 'embeddingModel' | 'llmModel'>;

/**
 * An Engram error phrased for the surface that reports it: the library's
 * messages name `Memory.open` options, which mean nothing to someone running
 * `engram` or calling the REST server. Errors with a hint (see ErrorHint) and
 * a missing database file get the surface's own fix; others pass unchanged.
 */
export function inSurfaceTerms(error: unknown, surface: Surface, paths: Paths): unknown {
  if (!(error instanceof EngramError)) return error;
  const message = phrase(error, surface, paths);
  if (message === undefined) return error;
  return new EngramError(error.code, message, { cause: error, ...(error.details ? { details: { ...error.details } } : {}), ...(error.hint ? { hint: error.hint } : {}) });
}

const PULL = '`engram models pull`';

function phrase(error: EngramError, surface: Surface, paths: Paths): string | undefined {
  const server = surface === 'cli' ? '' : surface === 'rest' ? '`engram serve`' : '`engram mcp`';
  const asSaid = surface === 'cli' ? '--no-infer' : surface === 'rest' ? '"infer": false' : 'infer: false';
  switch (error.hint) {
    case 'embedding-model':
      return surface === 'cli'
        ? `no embedding model at ${paths.embeddingModel}: download one with ${PULL}, or choose a folder with --embedding-model (ENGRAM_EMBEDDING_MODEL)`
        : `${server} has no embedding model at ${paths.embeddingModel}: run ${PULL} on the server's machine, or restart ${server} with --embedding-model (ENGRAM_EMBEDDING_MODEL)`;
    case 'llm-model':
    case 'no-llm': {
      const where = error.hint === 'llm-model' ? `no LLM at ${paths.llmModel}` : 'no LLM';
      if (surface === 'cli') return `${where}: download one with ${PULL}, choose one with --llm-model <file.gguf> (ENGRAM_LLM_MODEL), or store the text as said with ${asSaid}`;
      // The MCP tool adds its own advice for the model (see NO_LLM_HINT in mcp/tools.ts).
      if (surface === 'mcp') return `this memory server has ${where}, so it cannot extract facts`;
      return `${server} has ${where}, so it cannot extract facts: send ${asSaid} to store the text as said, or run ${PULL} into the server's models folder (or restart it with --llm-model)`;
    }
    case 'busy-timeout':
      return `${error.message.replace(/, or raise busyTimeoutMs$|; retry, or raise busyTimeoutMs$/, '')}; retry in a moment`;
    case 'no-reranker':
      return surface === 'rest' ? 'this server has no cross-encoder: search without "rerank"' : 'no cross-encoder is configured here: search without rerank';
    default:
      break;
  }
  if (isEngramError(error, 'FILE_NOT_FOUND') && surface === 'cli' && error.message.startsWith('no database at')) {
    return `no database at ${paths.db} (nothing was created): check --db (ENGRAM_DB); \`engram add\` or \`engram import\` create a new one`;
  }
  return undefined;
}
