import type { CliCommand } from '../command.js';

/** `engram serve` lives in serve-command.ts (and src/server/); loaded only when used. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'a Mem0-compatible REST server over one memory file (127.0.0.1 by default)',
  usage: `engram serve — a Mem0-compatible REST server over one memory file

Usage:
  engram serve [--host <addr>] [--port <n>] [--token <secret>] [--no-worker] [--db <file>] [...]

  See \`engram serve --help\` for the options.
`,
  async run(argv, io) {
    const { runServeCommand } = await import('../serve-command.js');
    return runServeCommand(argv, { out: io.out, err: io.err, env: io.env, llm: io.llm, signal: io.signal });
  },
};
