import { isEngramError } from '../index.js';
import { errLine, EXIT, UsageError, type CliCommand, type CliIo } from './command.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { reportUsageError } from './define-command.js';
import { nearestName } from './nearest-name.js';
import { packageVersion } from '../version.js';

/** `engram --help`. */
export function globalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `engram — local-first long-term memory for AI assistants

Usage:
  engram <command> [arguments] [options]
  engram <command> --help      the command's arguments, options and examples (also: engram help <command>)
  engram --help | --version

Commands:
${commands}

Start here:
  engram demo                                         a scripted session, in memory, nothing to set up
  engram models pull                                  download the LLM and the embedding model, once
  engram add --user alice "I am allergic to penicillin"
  engram search --user alice "which antibiotics should I avoid?"

Configuration (every command that opens a store; a flag, else the environment variable, else the default):
  --db <file|url>             SQLite file or postgres:// URL (ENGRAM_DB; default: memory.db in your data folder)
  --embedding-model <folder>  embedding model folder (ENGRAM_EMBEDDING_MODEL; default: <models dir>/embedding)
  --llm-model <file.gguf>     LLM for add with inference (ENGRAM_LLM_MODEL; default: <models dir>/llm.gguf)
  --models-dir <dir>          models folder (ENGRAM_MODELS_DIR; default: ./models if present, else in your data folder)
  --user/--agent/--run <id>   whose memories (ENGRAM_USER_ID, ENGRAM_AGENT_ID; default user: your OS user name)
  --json                      one JSON document on stdout, for scripts
  ENGRAM_KEY                  the key of an encrypted database; ENGRAM_HOME moves the data folder

Exit codes: 0 ok; 1 an Engram error ("engram: <message> [<CODE>]" on stderr) or a failed doctor check;
2 bad usage; 3 not found (a memory, a queued add or an entity: get, update, delete, history, jobs, graph); 70 an unexpected failure.
`;
}

/** Parses the command name, runs the command, and turns what it throws into an exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const helpFor = name === 'help' && rest[0] !== undefined ? findCommand(rest[0]) : undefined;
  if (helpFor) return runCommand(helpFor, ['--help'], io);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === undefined) errLine(io, globalUsage());
    else io.out(globalUsage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(packageVersion());
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (!command) {
    const suggestion = nearestName(name, COMMANDS.map((c) => c.name));
    const hint = suggestion ? ` — did you mean \`engram ${suggestion}\`?` : '';
    errLine(io, `engram: unknown command "${name}"${hint}; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (see \`engram --help\`)`);
    return EXIT.usage;
  }
  return runCommand(command, rest, io);
}

/** Runs one command; Engram errors become exit code 1 (3 for NOT_FOUND), anything else 70. */
export async function runCommand(command: CliCommand, argv: string[], io: CliIo): Promise<number> {
  try {
    return await command.run(argv, io);
  } catch (error) {
    return reportFailure(command, error, io);
  }
}

function reportFailure(command: CliCommand, error: unknown, io: CliIo): number {
  if (isEngramError(error)) {
    errLine(io, `engram: ${error.message} [${error.code}]`);
    return error.code === 'NOT_FOUND' ? EXIT.notFound : EXIT.engramError;
  }
  if (error instanceof UsageError) {
    reportUsageError(io, command.name, command.usage, error.message);
    return EXIT.usage;
  }
  errLine(io, `engram ${command.name}: unexpected failure (please report it):`);
  errLine(io, error instanceof Error ? (error.stack ?? error.message) : String(error));
  return EXIT.unexpected;
}
