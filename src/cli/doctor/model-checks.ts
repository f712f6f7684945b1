import { open, stat } from 'node:fs/promises';
import { OpenAiCompatibleEmbedder, TransformersEmbedder } from '../../index.js';
import { listInstalledModels, verifyInstalledModel, type InstalledModelState } from '../../models/installed.js';
import { formatBytes } from '../progress-bar.js';
import { failed, type CheckResult } from './check.js';

/** An embedder on an OpenAI-compatible server (ENGRAM_EMBEDDING_URL) answers a sentence with a vector. */
export async function checkServedEmbedder(baseUrl: string, model: string): Promise<CheckResult> {
  const name = 'embedding model';
  try {
    const embedder = await OpenAiCompatibleEmbedder.connect({ baseUrl, model });
    return { name, status: 'ok', detail: `${model} at ${baseUrl}, ${embedder.dimension} dimensions` };
  } catch (error) {
    return failed(name, error, `start the server at ${baseUrl} (e.g. \`ollama serve\`) and make sure it serves ${model}`);
  }
}

/** An LLM on an OpenAI-compatible server (ENGRAM_LLM_URL): named, not run (a completion can take minutes on a laptop). */
export function describeServedLlm(baseUrl: string, model: string): CheckResult {
  return { name: 'LLM', status: 'ok', detail: `${model} at ${baseUrl} (not called by doctor; an inferring add is the test)` };
}

/** The configured embedding model folder loads and embeds a sentence. */
export async function checkEmbeddingModel(folder: string): Promise<CheckResult> {
  const name = 'embedding model';
  let embedder: TransformersEmbedder | undefined;
  try {
    embedder = new TransformersEmbedder({ model: folder });
    const [vector] = await embedder.embed(['Engram checks that the embedding model works.']);
    if (vector?.length !== embedder.dimension) throw new Error(`it returned ${vector?.length ?? 0} numbers instead of ${embedder.dimension}`);
    return { name, status: 'ok', detail: `${embedder.id}, ${embedder.dimension} dimensions (${folder})` };
  } catch (error) {
    return failed(name, error, 'download one with `engram models pull`, or choose a folder with --embedding-model (ENGRAM_EMBEDDING_MODEL)');
  } finally {
    await embedder?.dispose();
  }
}

/** The configured LLM file is there and is a GGUF file. Missing is a warning: only add with inference needs it. */
export async function checkLlmFile(path: string): Promise<CheckResult> {
  const name = 'LLM';
  const fix = 'download one with `engram models pull`, or choose a file with --llm-model (ENGRAM_LLM_MODEL)';
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { name, status: 'warn', detail: `no file at ${path}: \`engram add\` with inference (the default) needs one; --no-infer works without`, fix };
  }
  try {
    const magic = await readMagic(path);
    if (magic !== 'GGUF') return { name, status: 'fail', detail: `${path} is not a GGUF file`, fix };
    return { name, status: 'ok', detail: `${path} (${formatBytes(size)})` };
  } catch (error) {
    return failed(name, error, fix);
  }
}

async function readMagic(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await file.close();
  }
}

/**
 * Every model `engram models pull` installed in `modelsDir`, re-hashed and
 * compared with the sha256 recorded at install time (offline).
 */
export async function checkInstalledModels(modelsDir: string): Promise<CheckResult[]> {
  let installed: InstalledModelState[];
  try {
    installed = await listInstalledModels(modelsDir);
  } catch (error) {
    return [failed('installed models', error, `run \`engram models pull --force --models-dir ${modelsDir}\``)];
  }
  if (installed.length === 0) {
    return [{ name: 'installed models', status: 'warn', detail: `none recorded in ${modelsDir}, so no checksums to check`, fix: 'run `engram models pull`' }];
  }
  return Promise.all(installed.map((model) => checkInstalledModel(modelsDir, model.name)));
}

async function checkInstalledModel(modelsDir: string, model: string): Promise<CheckResult> {
  const name = `model ${model}`;
  const fix = `run \`engram models pull ${model}\` (it replaces damaged files)`;
  try {
    const result = await verifyInstalledModel(modelsDir, model);
    if (result.ok) return { name, status: 'ok', detail: `${result.files.length} file(s) match their recorded sha256 (${result.slot})` };
    const bad = result.files.filter((f) => f.status !== 'ok').map((f) => `${f.file} ${f.status}`);
    return { name, status: 'fail', detail: bad.join(', '), fix };
  } catch (error) {
    return failed(name, error, fix);
  }
}
