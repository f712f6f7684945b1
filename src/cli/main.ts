#!/usr/bin/env node
import { EXIT, type CliIo } from './command.js';
import { runCli } from './run-cli.js';

/**
 * `engram`: wires the process to the CLI. run-cli.ts parses the command name,
 * dispatches to src/cli/commands/ (serve, mcp and models are loaded only when
 * used) and maps errors to exit codes: 0 ok, 1 an Engram error, 2 bad usage,
 * 3 no such memory, 70 an unexpected failure.
 */
const io: CliIo = {
  out: (line) => {
    quietOnClosedPipe();
    process.stdout.write(`${line}\n`);
  },
  err: process.stderr,
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
};

let pipeGuarded = false;
/** `engram export | head` closes stdout early: stop quietly instead of crashing with EPIPE. */
function quietOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
}

/** Exits once stdout and stderr have taken everything written to them. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

runCli(process.argv.slice(2), io).then(exitAfterFlush, (error: unknown) => {
  console.error(error);
  exitAfterFlush(EXIT.unexpected);
});
