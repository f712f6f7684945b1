import { UsageError } from './command.js';

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * `--expires <when>`: a lifetime from now (`12h`, `30d`, `6w`), a day
 * (`2027-01-31`: through that day, UTC) or a date-time; with `allowNever`,
 * `never` (null: the memory stops expiring). Memory checks the result.
 */
export function expiresFlag(value: string | undefined, now: number, options: { allowNever?: boolean } = {}): string | null | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (options.allowNever && text === 'never') return null;
  const lifetime = /^(\d{1,6})([hdw])$/u.exec(text);
  if (lifetime) {
    const ms = Number(lifetime[1]) * UNIT_MS[lifetime[2] as keyof typeof UNIT_MS];
    if (ms === 0) throw new UsageError('--expires needs a lifetime longer than 0');
    return new Date(now + ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}(T.*)?$/u.test(text)) return text;
  throw new UsageError(`--expires must be a lifetime (12h, 30d, 6w), a day (2027-01-31) or a date-time (2027-01-31T09:00:00Z)${options.allowNever ? ', or never' : ''}; got "${value}"`);
}
