#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { EngramError } from '../errors.js';
import { runDemo } from './demo.js';

const USAGE = `engram — local-first long-term memory for AI assistants

Usage:
  engram demo [--db <file>] [--embedding-model <folder>]   run a scripted session and show what Engram stores
  engram models pull [name ...] [--models-dir <dir>] [--host <url>] [--force]
                                                           download and verify the local models (once)
  engram models list [--models-dir <dir>] [--json]         the models you can pull, and what is installed
  engram serve [--host <addr>] [--port <n>] [--token <secret>]   a Mem0-compatible REST server (engram serve --help)
  engram mcp [--user <id>] [--db <file>] [...]             serve your memories to an AI assistant over MCP (stdio)
  engram --help | --version

Options:
  --db <file>                 SQLite file to use (default: a throwaway in-memory store; env ENGRAM_DB)
  --embedding-model <folder>  transformers.js model folder (env ENGRAM_EMBEDDING_MODEL;
                              default: models/embedding, else the generated test model)
`;

/** Exit codes: 0 ok, 1 an Engram error, 2 bad usage, 70 an unexpected failure. */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'models') {
    const { runModelsCommand } = await import('./models-command.js');
    return runModelsCommand(argv.slice(1), { out: (line) => console.log(line), err: process.stderr, env: process.env });
  }
  if (argv[0] === 'mcp') {
    const { runMcpCommand } = await import('./mcp-command.js');
    return runMcpCommand(argv.slice(1), { stdin: process.stdin, stdout: process.stdout, err: (line) => console.error(line), env: process.env });
  }
  if (argv[0] === 'serve') {
    const { runServeCommand } = await import('./serve-command.js');
    return runServeCommand(argv.slice(1), { out: (line) => console.log(line), err: process.stderr, env: process.env });
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string' },
      'embedding-model': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.version) {
    console.log('0.1.0');
    return 0;
  }
  const [command] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'demo') {
    await runDemo({
      db: values.db || process.env.ENGRAM_DB || ':memory:',
      embeddingModel: values['embedding-model'] || process.env.ENGRAM_EMBEDDING_MODEL || undefined,
      out: (line) => console.log(line),
    });
    return 0;
  }
  console.error(`engram: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof EngramError) {
      console.error(`engram: ${error.message} [${error.code}]`);
      process.exit(1);
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`engram: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(70);
  },
);
