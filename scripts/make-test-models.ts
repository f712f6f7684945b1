/**
 * Generates the models the tests use:
 * - models/test/embedding/: a small static GloVe/SIF sentence embedder that
 *   transformers.js loads like a hub model (see scripts/lib/glove-static-model.ts);
 * - models/test/llm.gguf: a tiny random-weight llama model with a ChatML template
 *   that node-llama-cpp loads and drives through JSON-schema grammars in
 *   milliseconds (see scripts/lib/tiny-llm-model.ts);
 * - models/test/reranker/: a tiny random-weight BERT cross-encoder (2 layers, 64
 *   hidden, real WordPiece tokenizer, fp32 + int8) that transformers.js loads as
 *   a sequence classifier (see scripts/lib/bert-cross-encoder-model.ts).
 *
 *   npx tsx scripts/make-test-models.ts           # skip what this version already generated
 *   npx tsx scripts/make-test-models.ts --force   # rebuild everything
 *
 * Output is deterministic (same bytes every run) and git-ignored.
 */
import { join } from 'node:path';
import { buildRandomCrossEncoder, TEST_RERANKER } from './lib/bert-cross-encoder-model.js';
import { locateGlovePackage } from './lib/glove-reader.js';
import { buildGloveStaticModel, TEST_EMBEDDER_ID, TEST_EMBEDDER_NAME } from './lib/glove-static-model.js';
import { writeGgufFile } from './lib/gguf-writer.js';
import { isFileUpToDate, writeModelFile } from './lib/model-file.js';
import { isUpToDate, totalBytes, writeModelFolder } from './lib/model-folder.js';
import { formatBytes, parseFlags, projectRoot, runScript } from './lib/script-cli.js';
import { buildTinyLlm, TEST_LLM_ID, TEST_LLM_NAME } from './lib/tiny-llm-model.js';

export const TEST_EMBEDDER_DIR = join(projectRoot, 'models', 'test', 'embedding');
export const TEST_LLM_FILE = join(projectRoot, 'models', 'test', 'llm.gguf');
export const TEST_RERANKER_DIR = join(projectRoot, 'models', 'test', 'reranker');

runScript(async () => {
  const { force } = parseFlags(process.argv.slice(2), ['force']);
  makeTestEmbedder(force);
  makeTestLlm(force);
  makeTestReranker(force);
});

function makeTestEmbedder(force: boolean): void {
  if (!force && isUpToDate(TEST_EMBEDDER_DIR, TEST_EMBEDDER_ID)) {
    console.log(`${TEST_EMBEDDER_DIR} is up to date (${TEST_EMBEDDER_ID.generator} v${TEST_EMBEDDER_ID.version}); --force rebuilds it`);
    return;
  }
  const start = performance.now();
  const glove = locateGlovePackage(projectRoot);
  const model = buildGloveStaticModel(glove, (line) => console.log(line));
  const stamp = writeModelFolder(TEST_EMBEDDER_DIR, model.contents, TEST_EMBEDDER_ID, model.details);
  for (const [path, file] of Object.entries(stamp.files)) console.log(`  ${path.padEnd(28)} ${formatBytes(file.bytes).padStart(9)}  sha256 ${file.sha256.slice(0, 16)}…`);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${TEST_EMBEDDER_NAME} to ${TEST_EMBEDDER_DIR} (${formatBytes(totalBytes(stamp))}) in ${seconds} s`);
}

function makeTestLlm(force: boolean): void {
  if (!force && isFileUpToDate(TEST_LLM_FILE, TEST_LLM_ID)) {
    console.log(`${TEST_LLM_FILE} is up to date (${TEST_LLM_ID.generator} v${TEST_LLM_ID.version}); --force rebuilds it`);
    return;
  }
  const start = performance.now();
  const model = buildTinyLlm();
  const stamp = writeModelFile(TEST_LLM_FILE, TEST_LLM_ID, (partial) => writeGgufFile(partial, model.file), model.details);
  const record = Object.values(stamp.files)[0];
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${TEST_LLM_NAME} to ${TEST_LLM_FILE} (${formatBytes(record?.bytes ?? 0)}, sha256 ${record?.sha256.slice(0, 16)}…) in ${seconds} s`);
}

function makeTestReranker(force: boolean): void {
  const { id, name } = TEST_RERANKER;
  if (!force && isUpToDate(TEST_RERANKER_DIR, id)) {
    console.log(`${TEST_RERANKER_DIR} is up to date (${id.generator} v${id.version}); --force rebuilds it`);
    return;
  }
  const start = performance.now();
  const model = buildRandomCrossEncoder(TEST_RERANKER, projectRoot, (line) => console.log(line));
  const stamp = writeModelFolder(TEST_RERANKER_DIR, model.contents, id, model.details);
  for (const [path, file] of Object.entries(stamp.files)) console.log(`  ${path.padEnd(28)} ${formatBytes(file.bytes).padStart(9)}  sha256 ${file.sha256.slice(0, 16)}…`);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${name} to ${TEST_RERANKER_DIR} (${formatBytes(totalBytes(stamp))}) in ${seconds} s`);
}
