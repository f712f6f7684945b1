import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Staging files are copies of a database made by maintenance (`.rekey-<pid>`,
 * and their `-journal`, `-wal`, `-shm`). A copy being encrypted holds the
 * plaintext until the rekey is done, so one left by a killed run must not
 * survive: the next maintenance removes them and `verify()` reports them.
 */
const STAGING_KINDS = ['rekey'] as const;
export type StagingKind = (typeof STAGING_KINDS)[number];

export function stagingPath(path: string, kind: StagingKind): string {
  return `${path}.${kind}-${process.pid}`;
}

/** The staging files beside a database file (full paths). */
export function stagingFiles(path: string): string[] {
  const name = basename(path);
  const prefixes = STAGING_KINDS.map((kind) => `${name}.${kind}-`);
  let entries: string[];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return entries.filter((entry) => prefixes.some((prefix) => entry.startsWith(prefix))).map((entry) => join(dirname(path), entry));
}

/** Removes every staging file beside a database; only safe while holding the file (no maintenance is running). */
export function removeStagingFiles(path: string): void {
  for (const file of stagingFiles(path)) rmSync(file, { force: true });
}
