import type { Metadata, MetadataFilter } from '../index.js';
import { jsonFlag } from './args.js';
import { UsageError } from './command.js';

function jsonObjectFlag(flag: string, value: string | undefined): Record<string, unknown> | undefined {
  const parsed = jsonFlag(flag, value);
  if (parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${flag} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** `--metadata '<json object>'`. Its content (keys, depth, size) is validated by Memory, as for every caller. */
export function metadataFlag(value: string | undefined): Metadata | undefined {
  return jsonObjectFlag('--metadata', value) as Metadata | undefined;
}

/** `--filter '<json object>'`. Its operators are validated by Memory, as for every caller. */
export function filterFlag(value: string | undefined): MetadataFilter | undefined {
  return jsonObjectFlag('--filter', value) as MetadataFilter | undefined;
}
