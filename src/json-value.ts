import { LIMITS } from './limits.js';

/** Keys that could reach an object's prototype if a consumer ever merged metadata naively. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Why `value` is not acceptable metadata (plain JSON, bounded depth, safe keys,
 * well-formed strings), or null when it is.
 */
export function metadataProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'metadata must be a plain object';
  if (Object.keys(value).length > LIMITS.maxMetadataKeys) return `metadata has more than ${LIMITS.maxMetadataKeys} keys`;
  const problem = jsonProblem(value, 1, 'metadata');
  if (problem) return problem;
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > LIMITS.maxMetadataBytes) return `metadata is ${bytes} bytes as JSON; the limit is ${LIMITS.maxMetadataBytes}`;
  return null;
}

function jsonProblem(value: unknown, depth: number, path: string): string | null {
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'string') return stringProblem(value, path);
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} is not a finite number`;
  if (depth > LIMITS.maxMetadataDepth) return `${path} nests deeper than ${LIMITS.maxMetadataDepth} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], depth + 1, `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (!isPlainObject(value)) return `${path} is not JSON (${describe(value)})`;
  for (const [key, child] of Object.entries(value)) {
    const keyProblem = keyNameProblem(key);
    if (keyProblem) return `${path}: ${keyProblem}`;
    const problem = jsonProblem(child, depth + 1, `${path}.${key}`);
    if (problem) return problem;
  }
  return null;
}

/** Why a metadata or filter key is not acceptable, or null. */
export function keyNameProblem(key: string): string | null {
  if (key.length === 0) return 'empty key';
  if (key.length > LIMITS.maxKeyLength) return `key longer than ${LIMITS.maxKeyLength} characters`;
  if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed`;
  return stringProblem(key, 'key');
}

/** Strings must be well-formed UTF-16 without NUL: SQLite and the tokenizers would otherwise mangle them. */
export function stringProblem(value: string, path: string): string | null {
  if (value.includes('\u0000')) return `${path} contains a NUL character`;
  if (!value.isWellFormed()) return `${path} contains an unpaired surrogate (invalid UTF-16)`;
  return null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return typeof value;
}
