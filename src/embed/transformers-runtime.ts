/**
 * The one place Engram loads transformers.js: lazily, once per process, with remote
 * loading switched off, and model folders loaded one at a time. Shared by every
 * model that runs in-process through it (the embedder, the reranker).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EngramError } from '../errors.js';

/** The transformers.js module. */
export type Transformers = typeof import('@huggingface/transformers');

/** Which ONNX weights of a model folder to run: `onnx/model.onnx` or `onnx/model_quantized.onnx`. */
export type OnnxDtype = 'fp32' | 'q8';

let transformersModule: Promise<Transformers> | undefined;

/** transformers.js is heavy: load it on first use, once per process, with remote loading off. */
export function loadTransformers(): Promise<Transformers> {
  transformersModule ??= import('@huggingface/transformers').then((module) => {
    module.env.allowRemoteModels = false;
    module.env.allowLocalModels = true;
    module.env.useFSCache = false;
    return module;
  });
  return transformersModule;
}

// env.localModelPath is process-global: serialise model loads so two folders never race on it.
let loadQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs `load` with transformers.js pointed at the local model folder `folder`
 * (an absolute path): `modelId` is the name to pass to `from_pretrained`/`pipeline`.
 * Loads are queued, so `load` may await several files of the folder safely.
 * Errors are passed through as thrown.
 */
export async function loadFromLocalFolder<T>(folder: string, load: (transformers: Transformers, modelId: string) => Promise<T>): Promise<T> {
  const transformers = await loadTransformers();
  const loading = loadQueue.then(() => {
    transformers.env.localModelPath = `${dirname(folder)}/`;
    return load(transformers, basename(folder));
  });
  loadQueue = loading.catch(() => undefined);
  return loading;
}

/** What a transformers.js model folder lacks of config.json, tokenizer.json and onnx/ (empty when complete). */
export function missingModelFiles(folder: string): string[] {
  const missing = ['config.json', 'tokenizer.json'].filter((file) => !existsSync(join(folder, file)));
  return existsSync(join(folder, 'onnx')) ? missing : [...missing, 'onnx/'];
}

/**
 * Picks the weights file: 'auto' prefers `onnx/model_quantized.onnx` (int8, faster on a
 * CPU) when present. Throws MODEL_NOT_FOUND, naming the file, when the chosen one is missing.
 * `what` names the model in the message, e.g. "embedding model".
 */
export function chooseOnnxDtype(folder: string, requested: 'auto' | OnnxDtype, what: string): OnnxDtype {
  const quantized = existsSync(join(folder, 'onnx', 'model_quantized.onnx'));
  const full = existsSync(join(folder, 'onnx', 'model.onnx'));
  const dtype = requested === 'auto' ? (quantized ? 'q8' : 'fp32') : requested;
  if ((dtype === 'q8' && !quantized) || (dtype === 'fp32' && !full)) {
    const file = dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx';
    throw new EngramError('MODEL_NOT_FOUND', `the ${what} at ${folder} has no onnx/${file} (dtype '${dtype}')`);
  }
  return dtype;
}

/** ONNX Runtime session options for an optional intra-op thread count. */
export function sessionOptions(threads: number | undefined): { intraOpNumThreads?: number; interOpNumThreads?: number } {
  return threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {};
}
