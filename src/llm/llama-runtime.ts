import type { Llama, LlamaModel } from 'node-llama-cpp';

type NodeLlamaCpp = typeof import('node-llama-cpp');
type SharedModel = { model: Promise<LlamaModel>; users: number };

let moduleLoad: Promise<NodeLlamaCpp> | undefined;
let llamaLoad: Promise<Llama> | undefined;
const models = new Map<string, SharedModel>();

/** node-llama-cpp is heavy: load it on first use, once per process. */
export function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  moduleLoad ??= import('node-llama-cpp');
  return moduleLoad;
}

/**
 * The GPU backend to ask node-llama-cpp for: none (CPU), except on Apple
 * Silicon, where the only prebuilt binary is the Metal one — asking for the
 * CPU there finds no binary at all, and `build: 'never'` then fails.
 */
export function llamaGpu(platform: string = process.platform, arch: string = process.arch): false | 'metal' {
  return platform === 'darwin' && arch === 'arm64' ? 'metal' : false;
}

/**
 * The process's llama.cpp runtime: CPU only (Metal on Apple Silicon), and never a source build (a
 * missing prebuilt binary must fail fast, not start a ten-minute compile).
 * No thread cap of its own (maxThreads 0): each context uses exactly the
 * threads Engram gives it (see default-threads.ts), not node-llama-cpp's
 * default of at least 4.
 */
export function llamaRuntime(): Promise<Llama> {
  llamaLoad ??= nodeLlamaCpp().then(({ getLlama, LlamaLogLevel }) =>
    getLlama({ gpu: llamaGpu(), build: 'never', logLevel: LlamaLogLevel.error, maxThreads: 0 }),
  );
  llamaLoad.catch(() => (llamaLoad = undefined));
  return llamaLoad;
}

/**
 * One loaded model per file per process, shared by every Memory that uses it:
 * a 1 GB model must not be loaded twice. Release it with `releaseModel`.
 */
export function acquireModel(path: string): Promise<LlamaModel> {
  let shared = models.get(path);
  if (!shared) {
    const model = llamaRuntime().then((llama) => llama.loadModel({ modelPath: path }));
    shared = { model, users: 0 };
    models.set(path, shared);
    model.catch(() => models.delete(path));
  }
  shared.users += 1;
  return shared.model;
}

/** Drops one user of a shared model; the last one disposes it. */
export async function releaseModel(path: string): Promise<void> {
  const shared = models.get(path);
  if (!shared) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  models.delete(path);
  const model = await shared.model.catch(() => undefined);
  await model?.dispose();
}
