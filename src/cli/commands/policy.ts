import { readFile } from 'node:fs/promises';
import { EngramError, type Memory, type Policy, type Scope } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { printJson } from '../format.js';
import { readStdinText } from '../input.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram policy — what this store may hold: instructions for the model and rules it cannot break

Usage:
  engram policy [show] [--effective] [--user <id>] [--agent <id>] [--run <id>] [--json]
  engram policy set <file.json | -> [--user <id>] [--agent <id>] [--run <id>]
  engram policy clear [--user <id>] [--agent <id>] [--run <id>]

  The policy is kept in the store, so every process adding to it or working
  its queue (engram serve, engram worker, your app) applies it from its next
  add. A policy is a JSON object:
    "instructions"  what to remember and how to phrase it (≤ 4,000 characters)
    "includes"      topics to remember especially
    "excludes"      topics never to remember (the model is told; not enforced)
    "deny"          rules enforced whatever the model says: "card-number",
                    "iban", "email", "us-ssn", or {"name", "pattern", "flags"?}
                    with a regular expression. A match is redacted from every
                    message before it is logged or shown to the model, from
                    adds stored as said and updates; a fact the model states
                    that still matches is dropped.
    "categories"    true (the defaults) or [{"name", "description"?}]: the model
                    files each fact under 1 to 3 (metadata.categories)
    "importance"    true: the model rates each fact 1-5 (metadata.importance)
    "expireAfterDays"  default lifetimes: {"semantic"?, "episodic"?,
                    "procedural"?, "run"?} in days
    "trackAccess"   true: remember when a search last returned each memory,
                    for search's recency {"from": "access"}
  Memories stored before are not changed.

  With --user, --agent or --run, the policy is that scope's own (flags only;
  ENGRAM_USER_ID is ignored here). An add gets the store's policy, then the
  policy of each scope at and above its own (the user's, the user's agent's,
  the run's…): a narrower policy's keys replace a broader one's, and "deny"
  rules add up, so none can be lifted. "trackAccess" is the store's alone.
  Forgetting a scope erases its policy. --effective shows what applies there.

${STORE_USAGE}

Examples:
  engram policy set policy.json
  engram policy set ana.json --user ana
  engram policy --effective --user ana --agent coach
`;

export const policyCommand = defineCommand({
  name: 'policy',
  summary: "show or set the store's (or a user's, agent's, run's) policy: instructions for the model, deny rules it cannot break",
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...SCOPE_OPTIONS, ...JSON_OPTION, effective: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 2 }, '[show | set <file> | clear]');
    const [action = 'show', file] = positionals;
    if (action === 'set' && file === undefined) throw new UsageError('engram policy set needs a JSON file, or - for stdin');
    if (action !== 'set' && file !== undefined) throw new UsageError(`unexpected argument "${file}"`);
    if (!['show', 'set', 'clear'].includes(action)) throw new UsageError(`unknown action "${action}": use show, set <file> or clear`);
    const text = action === 'set' ? (file === '-' ? await readStdinText(io) : await readPolicyFile(file as string)) : undefined;
    let policy: unknown;
    if (text !== undefined) {
      try {
        policy = JSON.parse(text);
      } catch (error) {
        throw new EngramError('INVALID_INPUT', `the policy is not JSON: ${(error as Error).message}`, { cause: error });
      }
    }
    // Flags only: an ENGRAM_USER_ID left in a shell profile must never aim a policy at a user.
    const scoped = values.user !== undefined || values.agent !== undefined || values.run !== undefined;
    const scope: Scope = scoped ? scopeFromFlags(values, {}, 'required') : {};
    if (values.effective && action !== 'show') throw new UsageError('--effective goes with show');
    if (values.effective && !scoped) throw new UsageError('--effective shows what applies to a scope: give --user, --agent or --run');
    const whose = scoped ? ` of ${describeScope(scope)}` : '';
    const use = async (memory: Memory) => {
      if (action === 'set') await memory.setPolicy(policy as Policy, scope);
      if (action === 'clear') await memory.setPolicy(null, scope);
      const now = values.effective ? await memory.effectivePolicy(scope) : await memory.policy(scope);
      if (values.json) printJson(io, { policy: now });
      else if (action === 'clear') io.out(`The policy${whose} was removed.`);
      else if (now !== null) io.out(JSON.stringify(now, null, 2));
      else io.out(values.effective ? `No policy applies${whose}: the model follows its default rules.` : scoped ? `No policy${whose} (the store's and broader scopes' still apply).` : 'No policy: the model follows its default rules.');
      return EXIT.ok;
    };
    // Setting a policy may come before any memory: it creates the store (show and clear do not).
    return withMemory(values, io, use, { create: action === 'set' });
  },
});

async function readPolicyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new EngramError('FILE_NOT_FOUND', `cannot read the policy file ${path}: ${(error as Error).message}`, { cause: error });
  }
}
