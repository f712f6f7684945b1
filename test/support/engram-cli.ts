import { Readable, Writable } from 'node:stream';
import type { Llm } from 'engram-memory';
import type { CliIo } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/run-cli.js';
import { tempDir } from './test-memory.js';

export type CliRun = { code: number; stdout: string; stderr: string; json: <T = Record<string, unknown>>() => T };

export type CliOptions = {
  env?: Record<string, string>;
  stdin?: string;
  /** The LLM the command uses instead of a GGUF file (a scripted one). */
  llm?: Llm;
  /** Stops a command that runs until a signal (`engram worker`). */
  signal?: AbortSignal;
  /** stderr claims to be a terminal (progress is redrawn there). */
  tty?: boolean;
  /** Sees stderr as it is written. */
  onStderr?: (text: string) => void;
};

/**
 * The CLI in process: the same dispatch and exit codes as `engram`, with a
 * captured io. The environment is only what a test gives (never the real one).
 */
export async function engram(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const out: string[] = [];
  let stderr = '';
  const err = {
    isTTY: options.tty ?? false,
    columns: 80,
    write(text: string) {
      stderr += text;
      options.onStderr?.(stderr);
      return true;
    },
  };
  const io: CliIo = {
    out: (line) => void out.push(line),
    err,
    env: { ENGRAM_HOME: tempDir(), ...options.env },
    stdin: options.stdin === undefined ? undefined : Readable.from([options.stdin]),
    stdout: new Writable({ write: (chunk: Buffer, _encoding, done) => void (out.push(chunk.toString().replace(/\n$/, '')), done()) }),
    llm: options.llm,
    signal: options.signal,
  };
  const code = await runCli(args, io);
  const stdout = out.map((line) => `${line}\n`).join('');
  return { code, stdout, stderr, json: <T,>() => JSON.parse(stdout) as T };
}
