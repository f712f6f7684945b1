import { parseCommandArgs, type ParseArgsOptionsConfig, type ParsedArgs } from './args.js';
import { errLine, EXIT, UsageError, type CliCommand, type CliIo } from './command.js';

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type WithHelp<O extends ParseArgsOptionsConfig> = O & typeof HELP_OPTION;

export type CommandSpec<O extends ParseArgsOptionsConfig> = {
  name: string;
  summary: string;
  usage: string;
  /** The command's flags; `--help` / `-h` is added. */
  options: O;
  /** Rewrites argv before parsing (e.g. `--no-infer`). */
  prepare?: (argv: string[]) => string[];
  run(args: ParsedArgs<WithHelp<O>>, io: CliIo): Promise<number>;
};

/**
 * A command with strict flag parsing, `--help` (exit 0), and usage errors
 * reported with the command's synopsis (exit 2). Engram errors propagate to
 * the caller (run-cli.ts maps them to exit codes).
 */
export function defineCommand<const O extends ParseArgsOptionsConfig>(spec: CommandSpec<O>): CliCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv: string[], io: CliIo): Promise<number> {
      try {
        const args = parseCommandArgs(spec.prepare ? spec.prepare(argv) : argv, { ...spec.options, ...HELP_OPTION } as WithHelp<O>);
        // `help` is in every command's options; TypeScript cannot see it through the generic.
        if ((args.values as { help?: boolean }).help) {
          io.out(spec.usage);
          return EXIT.ok;
        }
        return await spec.run(args, io);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        reportUsageError(io, spec.name, spec.usage, error.message);
        return EXIT.usage;
      }
    },
  };
}

/** "engram add: <message>", the command's synopsis, and where the rest is. */
export function reportUsageError(io: CliIo, name: string, usage: string, message: string): void {
  errLine(io, `engram ${name}: ${message}\n\n${synopsis(usage)}\n\nSee \`engram ${name} --help\` for the options.`);
}

/** The "Usage:" block of a usage text (up to its first blank line), or the whole text. */
function synopsis(usage: string): string {
  const lines = usage.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Usage:'));
  if (start === -1) return usage.trimEnd();
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}
