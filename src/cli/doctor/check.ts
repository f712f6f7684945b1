import { isEngramError } from '../../index.js';

/** ok: fine; warn: works, with something missing that some commands need; fail: broken, doctor exits 1. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `engram doctor`, and what to do about it. */
export type CheckResult = {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string | undefined;
  /** Facts for `--json` that the detail only tells (the queue's counts per status). */
  data?: Record<string, unknown> | undefined;
};

const MARKS: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** "✓ name: detail", then "    fix: …" when there is something to do. */
export function checkLines(result: CheckResult): string[] {
  const lines = [`${MARKS[result.status]} ${result.name}: ${result.detail}`];
  if (result.fix && result.status !== 'ok') lines.push(`    fix: ${result.fix}`);
  return lines;
}

/**
 * A failed check from an error: its message, and the Engram code when there is
 * one. When the error carries a hint, the library's own advice (in Memory.open
 * options, after the first "; ") is dropped: the check's `fix` says it in CLI terms.
 */
export function failed(name: string, error: unknown, fix: string): CheckResult {
  if (!isEngramError(error)) return { name, status: 'fail', detail: error instanceof Error ? error.message : String(error), fix };
  const what = error.hint === undefined ? error.message : (error.message.split('; ')[0] as string);
  return { name, status: 'fail', detail: `${what} [${error.code}]`, fix };
}
