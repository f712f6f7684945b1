import { existsSync } from 'node:fs';
import { displayedDatabase, isPostgresUrl } from '../../database-url.js';
import { isEngramError } from '../../index.js';
import { openConfiguredMemory, type RuntimeConfig } from '../runtime-config.js';
import { failed, type CheckResult } from './check.js';
import { checkQueue } from './queue-check.js';

const FIXES: Record<string, string> = {
  EMBEDDING_MISMATCH: 'open it with the embedding model it was built with, or switch it: `engram reindex --embedding-model <folder>`',
  DB_INVALID: 'choose another file with --db, or restore this one from a backup or an export (`engram import`)',
  DB_LOCKED: 'another process holds the write lock; try again when it is done',
  ENCRYPTION_KEY_INVALID: 'set ENGRAM_KEY to the key the file was encrypted with',
};
const DEFAULT_FIX = 'restore the file from a backup or an export (`engram import` into a new --db)';

/**
 * The database opens with the configured embedding model and passes
 * `memory.verify()`: Engram's invariants and SQLite's integrity_check; then
 * its extraction queue (see checkQueue). A file that does not exist yet is
 * not created here.
 */
export async function checkDatabase(config: RuntimeConfig): Promise<CheckResult | CheckResult[]> {
  const name = 'database';
  const shownDb = displayedDatabase(config.db);
  if (config.db !== ':memory:' && !isPostgresUrl(config.db) && !existsSync(config.db)) {
    return { name, status: 'warn', detail: `no file at ${config.db} yet; the first \`engram add\` creates it` };
  }
  try {
    const memory = await openConfiguredMemory(config);
    try {
      const { ok, problems } = await memory.verify();
      if (ok) return [{ name, status: 'ok', detail: `${shownDb} opens and passes the integrity checks` }, await checkQueue(memory)];
      const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
      return { name, status: 'fail', detail: `${shownDb}: ${shown}`, fix: DEFAULT_FIX };
    } finally {
      await memory.close();
    }
  } catch (error) {
    return failed(name, error, (isEngramError(error) && FIXES[error.code]) || DEFAULT_FIX);
  }
}
