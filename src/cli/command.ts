import type { Readable, Writable } from 'node:stream';
import type { Llm } from '../index.js';
import type { ProgressStream } from './progress-bar.js';

/**
 * What a command may touch: it prints through `out` (stdout, one line at a
 * time) and `err` (stderr: messages, progress bars), and reads configuration
 * from `env` only, so it runs the same in-process (tests) and in `engram`.
 */
export type CliIo = {
  /** One line of the command's result, for stdout. */
  out: (line: string) => void;
  /** stderr: warnings, notices and progress (`isTTY` decides between a redrawn bar and plain lines). */
  err: ProgressStream;
  env: Record<string, string | undefined>;
  /** Input for `add -` and `import -`. */
  stdin?: Readable | undefined;
  /** The raw stdout stream, for commands that speak a protocol on it (`engram mcp`). */
  stdout?: Writable | undefined;
  /** Stops a command that runs until SIGINT/SIGTERM (`engram worker`) as those signals do (embedding the CLI; tests). */
  signal?: AbortSignal | undefined;
  /** An LLM object instead of the configured GGUF file (embedding the CLI; tests drive inference with a scripted one). */
  llm?: Llm | undefined;
};

/** One `engram <name>` command. */
export type CliCommand = {
  readonly name: string;
  /** One line for `engram --help`. */
  readonly summary: string;
  /** The full text of `engram <name> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to its exit code. Engram errors are thrown for the caller to report. */
  run(argv: string[], io: CliIo): Promise<number>;
};

/** The exit codes of `engram`, documented in the README. */
export const EXIT = {
  ok: 0,
  /** An EngramError: `engram: <message> [<CODE>]` on stderr. */
  engramError: 1,
  /** Bad usage: an unknown flag, a missing argument, a value out of range. */
  usage: 2,
  /** The memory id does not exist (get, update, delete, history). */
  notFound: 3,
  /** A bug or an unexpected failure (EX_SOFTWARE). */
  unexpected: 70,
} as const;

/** Bad usage of a command: reported with its usage text, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Writes one line to stderr. */
export function errLine(io: CliIo, line: string): void {
  io.err.write(`${line}\n`);
}
