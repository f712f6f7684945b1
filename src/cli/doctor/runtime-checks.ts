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
 */
export async function checkLlama(): Promise<CheckResult> {
  const name = 'node-llama-cpp';
  try {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
    try {
      return { name, status: 'ok', detail: `llama.cpp ${llama.llamaCppRelease.release} (${llama.buildType}, CPU)` };
    } finally {
      await llama.dispose();
    }
  } catch (error) {
    return failed(name, error, `no usable llama.cpp binary for ${process.platform}-${process.arch}: ${REINSTALL} (\`engram add --no-infer\` works without it)`);
  }
}
