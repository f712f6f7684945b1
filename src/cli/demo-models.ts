import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngramError, type MemoryOptions } from '../index.js';
import { resolveRuntimeConfig, type StoreFlags } from './runtime-config.js';

/** The generated test models (`npm run models:test`). */
export const TEST_EMBEDDING_MODEL = 'models/test/embedding';
export const TEST_LLM = 'models/test/llm.gguf';

/** Which LLM the demo's second part thinks with. */
export type DemoLlm =
  | { kind: 'configured'; path: string }
  /** The random-weight test model: its decisions mean nothing. */
  | { kind: 'test'; path: string; missing: string }
  | { kind: 'none'; missing: string };

export type DemoModels = { embedding: string; llm: DemoLlm; notices: string[] };

type Env = Record<string, string | undefined>;

/**
 * The demo's models: what the flags or environment name, else the downloaded
 * ones (`engram models pull`), else the generated test models, with a notice.
 */
export function chooseDemoModels(flags: StoreFlags, env: Env): DemoModels {
  const config = resolveRuntimeConfig(flags, env);
  const notices: string[] = [];
  const embedding = chooseEmbedding(flags['embedding-model'] || env.ENGRAM_EMBEDDING_MODEL, join(config.modelsDir, 'embedding'), notices);
  const llm = chooseLlm(flags['llm-model'] || env.ENGRAM_LLM_MODEL, config.llmModel);
  return { embedding, llm, notices };
}

function chooseEmbedding(requested: string | undefined, downloaded: string, notices: string[]): string {
  if (requested) return requested;
  if (existsSync(downloaded)) return downloaded;
  if (!existsSync(TEST_EMBEDDING_MODEL)) {
    // An installed package has no generator for the test models; a checkout of the repository does.
    const fix = inCheckout()
      ? 'generate the test models with `npm run models:test` (or run `npm run demo`), or download the real ones with `engram models pull`'
      : 'download the models with `engram models pull` (about 1.2 GB: an embedding model and a 1.5B LLM, once), then run `engram demo` again; ' +
        'or point --embedding-model and --llm-model at models you have';
    throw new EngramError('MODEL_NOT_FOUND', `the demo needs an embedding model, and there is none at ${downloaded}: ${fix}`);
  }
  notices.push(`Notice: no downloaded embedding model at ${downloaded}; using the generated test model (${TEST_EMBEDDING_MODEL}).`);
  notices.push('        It is built from GloVe word vectors: it carries meaning, but far less than a real sentence model.');
  return TEST_EMBEDDING_MODEL;
}

/** Whether this Engram runs from a checkout of its repository (where `npm run models:test` exists). */
function inCheckout(): boolean {
  return existsSync(fileURLToPath(new URL('../../scripts/make-test-models.ts', import.meta.url)));
}

function chooseLlm(requested: string | undefined, configured: string): DemoLlm {
  if (requested) return { kind: 'configured', path: requested };
  if (existsSync(configured)) return { kind: 'configured', path: configured };
  if (existsSync(TEST_LLM)) return { kind: 'test', path: TEST_LLM, missing: configured };
  return { kind: 'none', missing: configured };
}

/** The Memory option for the chosen LLM. The test model runs hot and short: fast, and it varies its answers. */
export function llmOption(llm: DemoLlm): MemoryOptions['llm'] {
  if (llm.kind === 'none') return null;
  if (llm.kind === 'configured') return { model: llm.path };
  return { model: llm.path, threads: 1, contextSize: 2048, temperature: 1, seed: 85, maxTokens: 256 };
}
