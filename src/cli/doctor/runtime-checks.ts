import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { defaultLlmThreads } from '../../index.js';
import { llamaGpu } from '../../llm/llama-runtime.js';
import type { RuntimeConfig } from '../runtime-config.js';
import type { CheckResult } from './check.js';
import { failed } from './check.js';

const REINSTALL = 'reinstall the dependencies for this Node.js and platform: `npm ci` (or `npm rebuild`)';

/** Engram needs Node.js 20 or newer. */
export function checkNode(version = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  if (major >= 20) return { name: 'Node.js', status: 'ok', detail: version };
  return { name: 'Node.js', status: 'fail', detail: `${version} is too old`, fix: 'install Node.js 20 or newer' };
}

/**
 * better-sqlite3's native binding loads, and sqlite-vec loads into it; with
 * `encrypted`, the SQLite3 Multiple Ciphers build that opens encrypted files.
 */
export async function checkSqlite(encrypted: boolean): Promise<CheckResult> {
  const name = encrypted ? 'SQLite (encrypted) + sqlite-vec' : 'SQLite + sqlite-vec';
  try {
    const { default: Database } = encrypted ? await import('better-sqlite3-multiple-ciphers') : await import('better-sqlite3');
    const sqliteVec = await import('sqlite-vec');
    const db = new Database(':memory:');
    try {
      sqliteVec.load(db);
      const row = db.prepare('SELECT sqlite_version() AS sqlite, vec_version() AS vec').get() as { sqlite: string; vec: string };
      const driver = encrypted ? 'better-sqlite3-multiple-ciphers' : 'better-sqlite3';
      return { name, status: 'ok', detail: `${driver} with SQLite ${row.sqlite}, sqlite-vec ${row.vec}` };
    } finally {
      db.close();
    }
  } catch (error) {
    return failed(name, error, REINSTALL);
  }
}

/** transformers.js and its ONNX Runtime import (the embedding engine). */
export async function checkTransformers(): Promise<CheckResult> {
  const name = 'transformers.js + ONNX Runtime';
  try {
    const { env } = await import('@huggingface/transformers');
    const onnx = env.backends.onnx as { versions?: { node?: string } } | undefined;
    const runtime = onnx?.versions?.node ? `, onnxruntime-node ${onnx.versions.node}` : '';
    return { name, status: 'ok', detail: `transformers.js ${env.version}${runtime}` };
  } catch (error) {
    return failed(name, error, REINSTALL);
  }
}

/**
 * node-llama-cpp has a prebuilt llama.cpp binary for this machine. In process,
 * CPU only, and never a build or a download: a missing binary fails fast.
 * Says which binaries (node-llama-cpp's release of llama.cpp builds — its tag
 * is not a llama.cpp build number), what the CPU offers, and the LLM threads.
 */
export async function checkLlama(config: Pick<RuntimeConfig, 'llmThreads'>): Promise<CheckResult> {
  const name = 'node-llama-cpp';
  try {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: llamaGpu(), build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error, maxThreads: 0 });
    try {
      const binaries = llama.buildType === 'prebuilt' ? `prebuilt binaries ${llama.llamaCppRelease.release}` : `a local build of ${llama.llamaCppRelease.release}`;
      const simd = /AVX512 = 1/.test(llama.systemInfo) ? 'AVX-512' : /AVX2 = 1/.test(llama.systemInfo) ? 'AVX2' : 'no AVX2';
      const threads =
        config.llmThreads === undefined
          ? `${defaultLlmThreads(llama.cpuMathCores)} threads (default: ${llama.cpuMathCores} physical cores, ${availableParallelism()} CPUs available to this process)`
          : `${config.llmThreads} threads (--llm-threads / ENGRAM_LLM_THREADS)`;
      const device = llama.gpu === false ? `CPU (${simd})` : `${llama.gpu} (Apple Silicon)`;
      return { name, status: 'ok', detail: `node-llama-cpp ${moduleVersion('node-llama-cpp')} with ${binaries} of ${llama.llamaCppRelease.repo}, ${device}; ${threads}` };
    } finally {
      await llama.dispose();
    }
  } catch (error) {
    return failed(name, error, `no usable llama.cpp binary for ${process.platform}-${process.arch}: ${REINSTALL} (\`engram add --no-infer\` works without it)`);
  }
}

/** A dependency's installed version, from its package.json (found above its entry point: packages need not export it). */
function moduleVersion(name: string): string {
  try {
    let folder = dirname(createRequire(import.meta.url).resolve(name));
    for (let up = 0; up < 6; up++, folder = dirname(folder)) {
      const file = join(folder, 'package.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === name && json.version) return json.version;
    }
  } catch {
    // unknown below
  }
  return '(version unknown)';
}
