import { z } from 'zod';

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
export const PolicySchema = z.strictObject({
  instructions: z.string().max(4_000).optional(),
  includes: z.array(Topic).max(50).optional(),
  excludes: z.array(Topic).max(50).optional(),
  deny: z.array(DenyRuleSchema).max(50).optional(),
});
export type Policy = z.infer<typeof PolicySchema>;
