import { EngramError } from '../../errors.js';

/** Unique indexes whose violation means a concurrent writer stored the same thing first (see isRetryable). */
const RACE_CONSTRAINTS = new Set(['memories_current_hash', 'memories_version', 'memories_current_id', 'entities_key']);

function sqlState(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  if ('code' in error && typeof error.code === 'string') return error.code;
  // Node reports a failed connection to a name with several addresses as an AggregateError.
  if (error instanceof AggregateError) return sqlState(error.errors[0]);
  return '';
}

function constraintOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'constraint' in error && typeof error.constraint === 'string' ? error.constraint : undefined;
}

/**
 * Whether re-running the whole transaction may succeed: a serialization
 * failure or a deadlock, or a unique violation on the memories' identity
 * indexes or on an entity's name in its scope. The last means another
 * connection committed the same text (or the next version of the same memory,
 * or an entity of the same name) after this transaction looked: on the
 * re-run the look sees it, exactly as the SQLite engine's serialized writers
 * would have.
 */
export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  if (code === '40001' || code === '40P01') return true;
  return code === '23505' && RACE_CONSTRAINTS.has(constraintOf(error) ?? '');
}

/** Turns a PostgreSQL (or connection) failure into an EngramError with a code a caller can act on. */
export function toEngramError(error: unknown, doing: string, where: string): EngramError {
  if (error instanceof EngramError) return error;
  const code = sqlState(error);
  const message = error instanceof Error ? error.message || String(error) : String(error);
  const options = { cause: error };
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) || /timeout exceeded when trying to connect|Connection terminated/i.test(message)) {
    return new EngramError('DB_ERROR', `could not reach PostgreSQL at ${where} (${code || message}) while ${doing}; is the server running and the URL right?`, options);
  }
  if (code === '28P01' || code === '28000') {
    return new EngramError('DB_ERROR', `PostgreSQL at ${where} refused the credentials (${message}) while ${doing}`, options);
  }
  if (code === '3D000') return new EngramError('DB_ERROR', `PostgreSQL at ${where} has no such database (${message}) while ${doing}`, options);
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') {
    return new EngramError('DB_LOCKED', `concurrent transactions kept conflicting with this one while ${doing} (${message}); retry`, { ...options, hint: 'busy-timeout' });
  }
  if (code === '23505' && constraintOf(error) === 'memories_current_hash') {
    return new EngramError('DB_ERROR', `a current memory of exactly this scope already has this text, while ${doing}`, options);
  }
  if (code === '23505' && constraintOf(error) === 'entities_key') {
    return new EngramError('DB_ERROR', `an entity of exactly this scope already has this name, while ${doing}`, options);
  }
  if (code === '53100') return new EngramError('DISK_FULL', `the PostgreSQL server's disk is full while ${doing}; the change was not made`, options);
  if (code === 'XX001' || code === 'XX002') {
    return new EngramError('DB_INVALID', `PostgreSQL reports damaged data (${message}) while ${doing}; \`verify()\` shows what it finds`, options);
  }
  if (/extension "vector"|type "vector" does not exist/.test(message)) {
    return new EngramError('DB_ERROR', `pgvector is not available in PostgreSQL at ${where} (${message}) while ${doing}; install it (CREATE EXTENSION vector)`, options);
  }
  return new EngramError('DB_ERROR', `PostgreSQL failed while ${doing}: ${message}`, options);
}
