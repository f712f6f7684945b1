import type { Policy } from '../policy.js';
import type { MemoryKind, Scope } from '../schema.js';

const DAY_MS = 86_400_000;

/** What decides when the memories of one add expire: the add's own `expiresAt`, else the store policy's defaults. */
export type ExpiryRule = { explicit?: number | undefined; afterDays?: Policy['expireAfterDays'] };

/** The rule of an add: its own expiresAt (ms, or none) and the policy read with it. */
export function expiryRule(explicit: number | null | undefined, policy: Policy | undefined): ExpiryRule {
  return { explicit: explicit ?? undefined, afterDays: policy?.expireAfterDays };
}

/**
 * When a memory of this kind and scope, stored or changed at `now`, expires:
 * the add's own expiresAt, else the shortest of the policy's defaults that
 * apply (its kind's; `run` for a memory of a run), else undefined (no rule:
 * a new memory never expires, a changed one keeps its expiry).
 */
export function expiryFor(rule: ExpiryRule, kind: MemoryKind, scope: Scope, now: number): number | undefined {
  if (rule.explicit !== undefined) return rule.explicit;
  const days = [rule.afterDays?.[kind], scope.runId === undefined ? undefined : rule.afterDays?.run].filter((d): d is number => d !== undefined);
  return days.length === 0 ? undefined : now + Math.min(...days) * DAY_MS;
}
