/**
 * Generates the benchmark models:
 * - models/bench/minilm-random/: a random-weight BERT encoder with the exact shape and
 *   cost of all-MiniLM-L6-v2 (fp32 + int8 ONNX, real WordPiece tokenizer), so
 *   embedding benchmarks run offline (see scripts/lib/bert-random-model.ts);
 * - models/bench/qwen2.5-0.5b-random-q4_0.gguf: a random-weight Q4_0 LLM with the
 *   exact shape of Qwen2.5-0.5B-Instruct and its real tokenizer and chat template, so
 *   LLM benchmarks run offline (see scripts/lib/qwen2-random-model.ts);
 * - models/bench/ms-marco-minilm-l6-random/: a random-weight BERT cross-encoder with
 *   the exact shape and cost of cross-encoder/ms-marco-MiniLM-L6-v2 (fp32 + int8),
 *   so reranking benchmarks run offline (see scripts/lib/bert-cross-encoder-model.ts).
 *
 *   npx tsx scripts/make-bench-models.ts           # skip what this version already generated
 *   npx tsx scripts/make-bench-models.ts --force   # rebuild everything
 */
import { join } from 'node:path';
import { BENCH_RERANKER, buildRandomCrossEncoder } from './lib/bert-cross-encoder-model.js';
import { BENCH_MINILM_ID, BENCH_MINILM_NAME, buildBenchMiniLm } from './lib/bert-random-model.js';
import { writeGgufFile } from './lib/gguf-writer.js';
import { isFileUpToDate, writeModelFile } from './lib/model-file.js';
import { isUpToDate, totalBytes, writeModelFolder } from './lib/model-folder.js';
import { BENCH_QWEN_ID, BENCH_QWEN_NAME, buildBenchQwen } from './lib/qwen2-random-model.js';
import { formatBytes, parseFlags, projectRoot, runScript } from './lib/script-cli.js';

export const BENCH_MINILM_DIR = join(projectRoot, 'models', 'bench', 'minilm-random');
export const BENCH_QWEN_FILE = join(projectRoot, 'models', 'bench', 'qwen2.5-0.5b-random-q4_0.gguf');
export const BENCH_RERANKER_DIR = join(projectRoot, 'models', 'bench', 'ms-marco-minilm-l6-random');

runScript(async () => {
  const { force } = parseFlags(process.argv.slice(2), ['force']);
  makeBenchMiniLm(force);
  makeBenchQwen(force);
  makeBenchReranker(force);
});

function makeBenchMiniLm(force: boolean): void {
  if (!force && isUpToDate(BENCH_MINILM_DIR, BENCH_MINILM_ID)) {
    console.log(`${BENCH_MINILM_DIR} is up to date (${BENCH_MINILM_ID.generator} v${BENCH_MINILM_ID.version}); --force rebuilds it`);
    return;
  }
  const start = performance.now();
  const model = buildBenchMiniLm(projectRoot, (line) => console.log(line));
  const stamp = writeModelFolder(BENCH_MINILM_DIR, model.contents, BENCH_MINILM_ID, model.details);
  for (const [path, file] of Object.entries(stamp.files)) console.log(`  ${path.padEnd(28)} ${formatBytes(file.bytes).padStart(9)}  sha256 ${file.sha256.slice(0, 16)}…`);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${BENCH_MINILM_NAME} to ${BENCH_MINILM_DIR} (${formatBytes(totalBytes(stamp))}) in ${seconds} s`);
}

function makeBenchQwen(force: boolean): void {
  if (!force && isFileUpToDate(BENCH_QWEN_FILE, BENCH_QWEN_ID)) {
    console.log(`${BENCH_QWEN_FILE} is up to date (${BENCH_QWEN_ID.generator} v${BENCH_QWEN_ID.version}); --force rebuilds it`);
    return;
  }
  const start = performance.now();
  const model = buildBenchQwen(projectRoot, (line) => console.log(line));
  const stamp = writeModelFile(BENCH_QWEN_FILE, BENCH_QWEN_ID, (partial) => writeGgufFile(partial, model.file), model.details);
  const record = Object.values(stamp.files)[0];
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${BENCH_QWEN_NAME} to ${BENCH_QWEN_FILE} (${formatBytes(record?.bytes ?? 0)}, sha256 ${record?.sha256.slice(0, 16)}…) in ${seconds} s`);
}

function makeBenchReranker(force: boolean): void {
  const { id, name } = BENCH_RERANKER;
  if (!force && isUpToDate(BENCH_RERANKER_DIR, id)) {
    console.log(`${BENCH_RERANKER_DIR} is up to date (${id.generator} v${id.version}); --force rebuilds it`);
    return;
  }
  const start = performance.now();
  const model = buildRandomCrossEncoder(BENCH_RERANKER, projectRoot, (line) => console.log(line));
  const stamp = writeModelFolder(BENCH_RERANKER_DIR, model.contents, id, model.details);
  for (const [path, file] of Object.entries(stamp.files)) console.log(`  ${path.padEnd(28)} ${formatBytes(file.bytes).padStart(9)}  sha256 ${file.sha256.slice(0, 16)}…`);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${name} to ${BENCH_RERANKER_DIR} (${formatBytes(totalBytes(stamp))}) in ${seconds} s`);
}
