import type { z } from 'zod';
import { EngramError } from './errors.js';
import type { Scope } from './schema.js';

/**
 * Parses `input` with `schema`, or throws INVALID_INPUT naming each problem and
 * where it is ("options.limit: ...").
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(input) as z.ZodSafeParseResult<z.output<S>>;
  } catch (error) {
    // A hostile object (a throwing getter or proxy) must not escape as a raw error.
    throw new EngramError('INVALID_INPUT', `${what} could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = [what, ...issue.path.map(String)].join('.');
    return `${where}: ${issue.message}`;
  });
  throw new EngramError('INVALID_INPUT', problems.join('; '), {
    cause: result.error,
    details: { issues: result.error.issues.map((i) => ({ path: [what, ...i.path.map(String)], message: i.message })) },
  });
}

/** Reads and writes of memories need someone to belong to. */
export function requireScope(scope: Scope, operation: string): void {
  if (scope.userId === undefined && scope.agentId === undefined && scope.runId === undefined) {
    throw new EngramError('SCOPE_REQUIRED', `${operation} needs a scope: pass at least one of userId, agentId, runId`);
  }
}
