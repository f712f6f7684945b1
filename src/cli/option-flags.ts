import { z } from 'zod';
import { flagValue, integerFlag, numberFlag } from './args.js';

type FlagValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** `vectorWeight` → `vector-weight`. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

function unwrap(schema: z.ZodType): z.ZodType {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

/**
 * Flags for an operation's scalar options, derived from the Memory API's
 * schema of that operation, so the CLI offers what the API offers under the
 * same names (kebab-case): a boolean option is a switch (`--rerank`), a number
 * or a choice takes a value (`--vector-weight 0.7`, `--fusion rrf`), checked
 * against the option's own bounds. Options of other shapes are the command's
 * to spell (JSON filters, times).
 *
 * @example
 * const flags = optionFlags(SearchOptionsSchema.shape, ['rerank', 'fusion']);
 * // flags.options → { rerank: { type: 'boolean' }, fusion: { type: 'string' } }
 * // flags.read(values) → { rerank: true, fusion: 'rrf' }
 */
export function optionFlags<Shape extends Record<string, z.ZodType>, const Key extends keyof Shape & string>(shape: Shape, keys: readonly Key[]) {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  const readers: [Key, (values: FlagValues) => unknown][] = [];
  for (const key of keys) {
    const flag = kebab(key);
    const inner = unwrap(shape[key] as z.ZodType);
    if (inner instanceof z.ZodBoolean) {
      options[flag] = { type: 'boolean' };
      readers.push([key, (values) => values[flag]]);
    } else if (inner instanceof z.ZodNumber) {
      options[flag] = { type: 'string' };
      const min = inner.minValue ?? Number.MIN_SAFE_INTEGER;
      const max = inner.maxValue ?? Number.MAX_SAFE_INTEGER;
      const read = inner.isInt ? integerFlag : numberFlag;
      readers.push([key, (values) => read(`--${flag}`, values[flag] as string | undefined, min, max)]);
    } else if (inner instanceof z.ZodEnum) {
      options[flag] = { type: 'string' };
      const choices = inner.options as string[];
      const schema = z.enum(choices as [string, ...string[]], { error: `must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}` });
      readers.push([key, (values) => (values[flag] === undefined ? undefined : flagValue(`--${flag}`, schema, values[flag]))]);
    } else {
      throw new Error(`optionFlags: option ${key} is not a boolean, number or choice`);
    }
  }
  const read = (values: FlagValues): { [K in Key]?: z.input<Shape[K]> } => {
    const picked: Record<string, unknown> = {};
    for (const [key, readOne] of readers) {
      const value = readOne(values);
      if (value !== undefined) picked[key] = value;
    }
    return picked as { [K in Key]?: z.input<Shape[K]> };
  };
  return { options, read };
}
