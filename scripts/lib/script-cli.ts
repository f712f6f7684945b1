/**
 * Shared plumbing for the scripts in scripts/: project paths, flag parsing, timing,
 * and turning any error into one clear line and a non-zero exit code.
 */
import { fileURLToPath } from 'node:url';

/** The repository root (scripts/lib/ is two levels below it). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Parses boolean `--flags`; anything else is an error, so typos do not pass silently. */
export function parseFlags<const F extends string>(argv: readonly string[], allowed: readonly F[]): Record<F, boolean> {
  const flags = Object.fromEntries(allowed.map((f) => [f, false])) as Record<F, boolean>;
  for (const arg of argv) {
    const name = arg.replace(/^--/, '');
    if (!arg.startsWith('--') || !(allowed as readonly string[]).includes(name)) {
      throw new Error(`unknown argument "${arg}" (allowed: ${allowed.map((f) => `--${f}`).join(', ') || 'none'})`);
    }
    flags[name as F] = true;
  }
  return flags;
}

export function runScript(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env['DEBUG'] && error instanceof Error) console.error(error.stack);
    process.exitCode = 1;
  });
}

/** Runs `body`, prints "label: N ms" and returns its result. */
export async function timed<T>(label: string, body: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await body();
  console.log(`  ${label}: ${Math.round(performance.now() - start)} ms`);
  return result;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}
