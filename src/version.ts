import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * Engram's version, from its package.json (one folder up from both `src/`
 * and `dist/`); 'unknown' if it cannot be read.
 */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const json: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
      const version = typeof json === 'object' && json !== null && 'version' in json ? json.version : undefined;
      cached = typeof version === 'string' ? version : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
