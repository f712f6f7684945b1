import { z } from 'zod';
import type { Scope } from './schema.js';
import { isWholeStore } from './scope.js';

/** Detectors Engram ships, each checked by more than a pattern (a checksum) where one exists. */
export const BUILT_IN_DENY_RULES = ['card-number', 'iban', 'email', 'us-ssn'] as const;
export type BuiltInDenyRule = (typeof BUILT_IN_DENY_RULES)[number];

const RuleNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: 'a rule name is lower-case letters, digits and hyphens (at most 40)' });

/** A deployment's own pattern: a JavaScript regular expression (flags i and u only), and the name shown where it redacts. */
export const PatternRuleSchema = z
  .strictObject({
    name: RuleNameSchema,
    pattern: z.string().min(1).max(500),
    flags: z.string().regex(/^[iu]{0,2}$/, { error: 'flags may be i and u only' }).optional(),
  })
  .refine(
    ({ pattern, flags }) => {
      try {
        new RegExp(pattern, flags);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'pattern must be a valid regular expression' },
  );

export const DenyRuleSchema = z.union([z.enum(BUILT_IN_DENY_RULES, { error: `a built-in rule is one of ${BUILT_IN_DENY_RULES.join(', ')}` }), PatternRuleSchema]);
export type DenyRule = z.infer<typeof DenyRuleSchema>;

const Topic = z.string().min(1).max(200);

/** A category the model may file a fact under: a short name, and what belongs there (shown to the model). */
export const CategorySchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,29}$/, { error: 'a category name is lower-case letters, digits and _ (at most 30)' }),
  description: z.string().min(1).max(200).optional(),
});
export type Category = z.infer<typeof CategorySchema>;

/** The categories of `categories: true`. */
export const DEFAULT_CATEGORIES: readonly Category[] = [
  { name: 'personal', description: 'who the user is: name, age, family status, home, languages' },
  { name: 'health', description: 'conditions, medications and doses, allergies, appointments, symptoms' },
  { name: 'relationships', description: 'family, friends, colleagues and pets, and how they relate to the user' },
  { name: 'preferences', description: 'likes, dislikes, tastes, how the user wants things done' },
  { name: 'work', description: 'job, employer, projects, skills, tools' },
  { name: 'plans', description: 'intentions, goals, upcoming events and trips' },
  { name: 'hobbies', description: 'pastimes, sports, reading, music, games' },
  { name: 'finance', description: 'money matters: budgets, purchases, subscriptions (never card or account numbers)' },
  { name: 'other', description: 'anything else worth remembering' },
];

/**
 * What a store may hold, kept in the store itself so that every process
 * adding to it or working its queue applies the same policy.
 * - `instructions`, `includes`, `excludes` go into the model's fixed
 *   instructions (Mem0's `custom_instructions`, `includes`, `excludes`): they
 *   guide what it extracts and how it phrases it.
 * - `deny` is enforced, whatever the model says: a match is redacted from
 *   every message before it is logged or shown to the model, and a fact the
 *   model states that still matches is dropped. `update` and adds as said
 *   are redacted too.
 */
/** A lifetime in whole days: a day to a hundred years. */
const Days = z.number().int().min(1).max(36_500);

export const PolicySchema = z.strictObject({
  instructions: z.string().max(4_000).optional(),
  includes: z.array(Topic).max(50).optional(),
  excludes: z.array(Topic).max(50).optional(),
  deny: z.array(DenyRuleSchema).max(50).optional(),
  /**
   * Have the model file each fact it adds or updates under 1 to 3 of these
   * categories, in the same call; they are stored as the memory's
   * `metadata.categories` (filter with `{ categories: { contains: 'health' } }`).
   * `true`: DEFAULT_CATEGORIES.
   */
  categories: z
    .union([
      z.literal(true),
      z
        .array(CategorySchema)
        .min(1)
        .max(30)
        .refine((list) => new Set(list.map((c) => c.name)).size === list.length, { error: 'category names must differ' }),
    ])
    .optional(),
  /**
   * Have the model rate each fact it adds or updates from 1 (trivia that may
   * fade) to 5 (must never be lost), in the same call; stored as the memory's
   * `metadata.importance`, which `search({ importance: { weight } })` weighs.
   */
  importance: z.literal(true).optional(),
  /**
   * Record when a search returns a memory (its last use, kept with its current
   * version; not a change, not exported), so that `search({ recency: { from:
   * 'access' } })` can favour memories in use. Searches into the past (`asOf`)
   * record nothing.
   */
  trackAccess: z.literal(true).optional(),
  /**
   * Default lifetimes, in days from a memory's last change, for memories
   * whose add gives no `expiresAt`: per kind, and `run` for every memory of a
   * run (a session). Where several apply, the shortest wins. An expired
   * memory leaves searches and lists; `purgeExpired` erases it.
   */
  expireAfterDays: z
    .strictObject({ semantic: Days.optional(), episodic: Days.optional(), procedural: Days.optional(), run: Days.optional() })
    .refine((days) => Object.values(days).some((d) => d !== undefined), { error: 'give at least one of semantic, episodic, procedural, run' })
    .optional(),
});

/** The categories a policy asks for, or none. */
export function categoriesOf(policy: Policy | undefined): readonly Category[] {
  if (policy?.categories === undefined) return [];
  return policy.categories === true ? DEFAULT_CATEGORIES : policy.categories;
}
export type Policy = z.infer<typeof PolicySchema>;

/**
 * Why a policy may not be kept for this scope, or undefined. `trackAccess`
 * belongs to the store's own policy: a search's marks are written store-wide.
 */
export function scopedPolicyProblem(policy: Policy, scope: Scope): string | undefined {
  if (!isWholeStore(scope) && policy.trackAccess !== undefined) return "trackAccess belongs to the store's own policy, not a user's, agent's or run's";
  return undefined;
}
