import { z } from 'zod';
import { flagValue } from './args.js';

const AsOfSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-26T10:00:00Z' });

/** The usage line of `--as-of`. */
export const AS_OF_USAGE = '  --as-of <time>              the memories as they were then (ISO 8601, e.g. 2026-11-26T10:00:00Z)';

/** `--as-of <iso>`: read the store as it was at that time. */
export function asOfFlag(value: string | undefined): string | undefined {
  return timeFlag('--as-of', value);
}

/** A flag holding an instant (ISO 8601). */
export function timeFlag(flag: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : flagValue(flag, AsOfSchema, value);
}
