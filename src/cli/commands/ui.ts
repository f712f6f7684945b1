import type { CliCommand } from '../command.js';

/** `engram ui`: `engram serve` with a fresh token, printing the page's link (serve-command.ts). */
export const uiCommand: CliCommand = {
  name: 'ui',
  summary: 'the local page to see, search and correct what is remembered (opens on 127.0.0.1)',
  usage: `engram ui — the local page: see, search and correct what is remembered

Usage:
  engram ui [--port <n>] [--token <secret>] [--db <file>] [...]

  See \`engram ui --help\` for the options.
`,
  async run(argv, io) {
    const { runServeCommand } = await import('../serve-command.js');
    return runServeCommand(argv, { out: io.out, err: io.err, env: io.env, llm: io.llm, signal: io.signal }, 'ui');
  },
};
