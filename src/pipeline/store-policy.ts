import { EngramError } from '../errors.js';
import { PolicySchema, type Policy } from '../policy.js';
import type { Scope } from '../schema.js';
import { isWholeStore } from '../scope.js';
import type { StorageTransaction } from '../storage/storage.js';

/**
 * The policy kept for exactly this scope (none: the store's own), checked as
 * it is read (another version of Engram may have written it).
 */
export async function readPolicy(tx: StorageTransaction, scope?: Scope): Promise<Policy | undefined> {
  const json = await tx.policy(scope);
  return json === undefined ? undefined : parsePolicy(json, scope);
}

/**
 * The policy that applies to what is stored in `scope`: the store's own, then
 * the policy of each scope at or above it (a user's, the user's agent's, a
 * run's…), narrower ones last. A later policy's field replaces an earlier
 * one's, except `deny`: deny rules add up, so no narrower policy can lift a
 * rule the store or a user set.
 */
export async function effectivePolicy(tx: StorageTransaction, scope: Scope): Promise<Policy | undefined> {
  const layers: Policy[] = [];
  for (const level of [{}, ...scopesAbove(scope)]) {
    const policy = await readPolicy(tx, level);
    if (policy) layers.push(policy);
  }
  if (layers.length === 0) return undefined;
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (key === 'deny' && Array.isArray(merged.deny)) {
        const seen = new Set((merged.deny as unknown[]).map((rule) => JSON.stringify(rule)));
        merged.deny = [...(merged.deny as unknown[]), ...(value as unknown[]).filter((rule) => !seen.has(JSON.stringify(rule)))];
      } else merged[key] = value;
    }
  }
  return merged as Policy;
}

/**
 * Every scope made of some of `scope`'s fields (itself included), broadest
 * first: fewer fields first, and among as many, user before agent before run.
 */
export function scopesAbove(scope: Scope): Scope[] {
  const fields = (['userId', 'agentId', 'runId'] as const).filter((field) => scope[field] !== undefined);
  const subsets: Scope[] = [];
  for (let mask = 1; mask < 1 << fields.length; mask++) {
    const level: Scope = {};
    fields.forEach((field, i) => {
      if (mask & (1 << i)) level[field] = scope[field];
    });
    subsets.push(level);
  }
  const weight = (s: Scope) => Object.keys(s).length * 10 + (s.runId !== undefined ? 4 : 0) + (s.agentId !== undefined ? 2 : 0) + (s.userId !== undefined ? 1 : 0);
  return subsets.sort((a, b) => weight(a) - weight(b));
}

/** A kept policy's JSON, checked (DB_INVALID when another writer left something this Engram cannot read). */
export function parsePolicy(json: string, scope: Scope | undefined): Policy {
  const whose = isWholeStore(scope) ? 'the policy kept with this store' : `the policy of ${JSON.stringify(scope)}`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new EngramError('DB_INVALID', `${whose} is not JSON; set it again with setPolicy`, { cause: error });
  }
  const parsed = PolicySchema.safeParse(value);
  if (!parsed.success) throw new EngramError('DB_INVALID', `${whose} is not valid (${parsed.error.issues[0]?.message}); set it again with setPolicy`);
  return parsed.data;
}
