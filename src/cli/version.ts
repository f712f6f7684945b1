import { readFileSync } from 'node:fs';

/** Engram's version, from package.json (two folders up from src/cli/ and dist/cli/); 'unknown' if unreadable. */
export function cliVersion(): string {
  try {
    const json: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = typeof json === 'object' && json !== null && 'version' in json ? json.version : undefined;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
