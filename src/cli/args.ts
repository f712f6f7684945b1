import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The `options` of parseArgs (node:util does not export the type by name). */
export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { z } from 'zod';
import { UsageError } from './command.js';
import { nearestName } from './nearest-name.js';

type Config<O extends ParseArgsOptionsConfig> = { args: string[]; options: O; strict: true; allowPositionals: true };
export type ParsedArgs<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>;

/**
 * Strict `parseArgs`: an unknown flag (with the nearest known one suggested)
 * or a missing value is a UsageError, and so is an argument that was not
 * valid UTF-8 (Node turns such bytes into U+FFFD, which must not be stored).
 */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(argv: string[], options: O): ParsedArgs<O> {
  const garbled = argv.find((arg) => arg.includes('\uFFFD'));
  if (garbled !== undefined) {
    throw new UsageError(`an argument is not valid UTF-8 ("${garbled.slice(0, 40)}"): set your terminal to UTF-8, or pass the text through stdin with "-"`);
  }
  try {
    return parseArgs<Config<O>>({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(withSuggestion(error.message, options));
    }
    throw error;
  }
}

/** "Unknown option '--usr'" → "unknown option --usr (did you mean --user?)". */
function withSuggestion(message: string, options: ParseArgsOptionsConfig): string {
  const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
  if (unknown === undefined) return message;
  const flags = Object.keys(options).map((name) => `--${name}`);
  const suggestion = nearestName(unknown.split('=')[0] as string, flags);
  return `unknown option ${unknown}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
}

/**
 * `--no-<name>` and a bare `--<name>` become `--<name>=false` / `--<name>=true`,
 * so a boolean flag can be declared as a string option and also be written
 * `--<name>=false` (parseArgs alone accepts only one of these spellings).
 */
export function normalizeBooleanFlag(argv: string[], name: string): string[] {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  const rest = end === -1 ? [] : argv.slice(end);
  return [...flags.map((arg) => (arg === `--no-${name}` ? `--${name}=false` : arg === `--${name}` ? `--${name}=true` : arg)), ...rest];
}

/** Parses a flag's value with a zod schema; a failure is a UsageError naming the flag. */
export function flagValue<S extends z.ZodType>(flag: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${flag}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
}

/** A flag holding JSON (`--metadata`, `--filter`); the library validates the shape. */
export function jsonFlag(flag: string, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} must be JSON, e.g. ${flag} '{"topic":"health"}' (${(error as Error).message})`);
  }
}

/** Checks how many positional arguments a command got. */
export function expectPositionals(positionals: string[], count: { min: number; max?: number }, what: string): void {
  if (positionals.length < count.min) throw new UsageError(`missing ${what}`);
  if (count.max !== undefined && positionals.length > count.max) {
    const extra = positionals.slice(count.max).map((p) => `"${p}"`).join(' ');
    throw new UsageError(`unexpected argument${positionals.length - count.max > 1 ? 's' : ''} ${extra} (quote a text that contains spaces)`);
  }
}

/** A whole number in [min, max], e.g. `--limit`. */
export function integerFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  const schema = z.string().regex(/^\s*-?\d+\s*$/).transform(Number).pipe(z.number().int().min(min).max(max));
  if (!schema.safeParse(value).success) throw new UsageError(`${flag} must be a whole number ${range}, not "${value}"`);
  return Number(value);
}

/** A number in [min, max], e.g. `--threshold`. */
export function numberFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!z.number().min(min).max(max).safeParse(number).success) throw new UsageError(`${flag} must be a number from ${min} to ${max}, not "${value}"`);
  return number;
}
