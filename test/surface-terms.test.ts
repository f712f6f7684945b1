import { describe, expect, it } from 'vitest';
import { EngramError, ERROR_HINTS, Memory } from 'engram-memory';
import { inSurfaceTerms, type Surface } from '../src/cli/surface-terms.js';
import { TEST_EMBEDDING_MODEL, tempDir } from './support/test-memory.js';

const paths = { db: '/data/memory.db', embeddingModel: '/models/embedding', llmModel: '/models/llm.gguf' };
/** Words of the library API that mean nothing to a CLI user, a REST client or a model calling tools. */
const LIBRARY_TERMS = /Memory\.open|embedder\.model|llm: \{|\{ infer: false \}|busyTimeoutMs|llm: null/;

describe('errors speak the language of their surface', () => {
  const surfaces: Surface[] = ['cli', 'rest', 'mcp'];

  it('every hinted library error, phrased for the CLI, REST and MCP, names no Memory.open option', async () => {
    // The real errors, as the library raises them.
    const noEmbedder = await Memory.open({ path: ':memory:', embedder: { model: `${tempDir()}/none` } })
      .then((m) => m.add('x', { userId: 'u', infer: false }))
      .catch((e: unknown) => e);
    const noLlmFile = await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm: { model: '/models/llm.gguf' } }).catch((e: unknown) => e);
    const noLlm = await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm: null }).then((m) =>
      m.add('x', { userId: 'u' }).catch((e: unknown) => e).finally(() => m.close()),
    );
    const noReranker = await Memory.open({ path: ':memory:', embedder: { model: TEST_EMBEDDING_MODEL }, llm: null }).then((m) =>
      m.search('x', { userId: 'u', rerank: true }).catch((e: unknown) => e).finally(() => m.close()),
    );
    const busy = new EngramError('DB_LOCKED', 'the database stayed locked by another connection while adding; retry, or raise busyTimeoutMs', { hint: 'busy-timeout' });
    const errors = [noEmbedder, noLlmFile, noLlm, noReranker, busy] as EngramError[];
    expect(errors.map((e) => e.hint).sort()).toEqual([...ERROR_HINTS].sort());
    for (const error of errors) {
      expect(error.message, `the library's own message for ${error.hint}`).toMatch(LIBRARY_TERMS);
      for (const surface of surfaces) {
        const phrased = inSurfaceTerms(error, surface, paths) as EngramError;
        expect(phrased.code, `${error.hint} on ${surface}`).toBe(error.code);
        expect(phrased.message, `${error.hint} on ${surface}`).not.toMatch(LIBRARY_TERMS);
      }
    }
    const cli = (hint: string) => (inSurfaceTerms(errors.find((e) => e.hint === hint), 'cli', paths) as Error).message;
    expect(cli('llm-model')).toMatch(/no LLM at \/models\/llm\.gguf: .*--llm-model .*ENGRAM_LLM_MODEL.*--no-infer/);
    expect(cli('embedding-model')).toMatch(/--embedding-model \(ENGRAM_EMBEDDING_MODEL\)/);
    expect((inSurfaceTerms(noLlm, 'rest', paths) as Error).message).toMatch(/send "infer": false/);
  });

  it('leaves other errors as they are', () => {
    const error = new EngramError('NOT_FOUND', 'no current memory with id x');
    for (const surface of surfaces) expect(inSurfaceTerms(error, surface, paths)).toBe(error);
  });
});
