import type { CliCommand } from '../command.js';

/** `engram models …` lives in models-command.ts; loaded only when used. */
export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'download and verify the local models (`models pull`), list them (`models list`)',
  usage: `engram models — download the local models (the only command that uses the network)

Usage:
  engram models pull [name ...] [--models-dir <dir>] [--host <url>] [--force]
  engram models list [--models-dir <dir>] [--json]

  See \`engram models --help\` for the options.
`,
  async run(argv, io) {
    const { runModelsCommand } = await import('../models-command.js');
    return runModelsCommand(argv, { out: io.out, err: io.err, env: io.env });
  },
};
