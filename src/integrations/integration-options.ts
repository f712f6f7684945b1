import { z } from 'zod';
import { EngramError, LIMITS, type Scope } from '../index.js';

const SCOPE_KEYS = ['userId', 'agentId', 'runId'] as const;

/**
 * Options an integration passes on to one Memory method as given (Memory
 * validates them when it is called), minus the scope: an integration's scope
 * is fixed by the app, once, and never comes from a per-call object.
 */
export const passThrough = <T extends object>(what: string) =>
  z.custom<Omit<T, keyof Scope>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && SCOPE_KEYS.every((key) => !(key in value)),
    { error: `${what} must be an object without userId, agentId or runId (give the scope once, beside it)` },
  );

/** A callback option. */
export const callback = <F extends (...args: never[]) => unknown>(what: string) =>
  z.custom<F>((value) => typeof value === 'function', { error: `${what} must be a function` });

/** Parses an integration's options: INVALID_INPUT naming each problem. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`);
    throw new EngramError('INVALID_INPUT', problems.join('; '), { cause: result.error });
  }
  return result.data;
}

/** The scope of parsed options: SCOPE_REQUIRED without any id (an integration without one would reach every user's memories). */
export function requireScope(options: Scope, what: string): Scope {
  const scope = scopeOf(options);
  if (Object.keys(scope).length === 0) throw new EngramError('SCOPE_REQUIRED', `${what} needs a scope: pass at least one of userId, agentId, runId`);
  return scope;
}

/** A Memory (or the part of its API an integration uses). */
export const memoryOf = <M>() => z.custom<M>((value) => typeof value === 'object' && value !== null, { error: 'memory must be a Memory (from Memory.open)' });

/** The scope fields of parsed options, and nothing else. */
export function scopeOf(options: Scope): Scope {
  const scope: Scope = {};
  for (const key of SCOPE_KEYS) if (options[key] !== undefined) scope[key] = options[key];
  return scope;
}

/**
 * A chat text as Engram can take it: without NUL characters and unpaired
 * surrogates, cut to LIMITS.maxTextLength (never inside a surrogate pair),
 * so that what a user happens to type never fails a recall or an add.
 */
export function storableText(text: string): string {
  const clean = text.replaceAll('\u0000', '').toWellFormed();
  if (clean.length <= LIMITS.maxTextLength) return clean;
  const cut = clean.slice(0, LIMITS.maxTextLength);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
