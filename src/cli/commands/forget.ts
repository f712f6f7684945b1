import { expectPositionals } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { count, printJson } from '../format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram forget — erase a user's (or agent's, or run's) memories for good

Usage:
  engram forget --user <id> [--agent <id>] [--run <id>] --yes [--json]

  The right to be forgotten: every version of the scope's memories, their
  vectors, full-text entries and history, and the scope's logged messages are
  removed from the file, with their queued adds, the scope's entity graph
  (entities and relations) and the scope's own policies. Unlike delete,
  nothing stays in history. The scope matches as in list: --user alice
  covers all of Alice's agents and runs.
  Without --yes nothing is erased. Say whose with flags: no default user, and
  ENGRAM_USER_ID / ENGRAM_AGENT_ID are ignored here.

Options:
  --user <id>                 a user
  --agent <id>                an agent
  --run <id>                  a run or session
  --yes                       really erase
  --json                      print {"memories": n, "messages": n, "jobs": n, "entities": n, "relations": n}, the counts erased

${STORE_USAGE}

Example:
  engram forget --user alice --yes
`;

export const forgetCommand = defineCommand({
  name: 'forget',
  summary: 'erase a scope for good: memories, history, messages and its entity graph (needs --yes)',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...SCOPE_OPTIONS, ...JSON_OPTION, yes: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    // Flags only: an ENGRAM_USER_ID left in a shell profile must never aim an erase.
    const scope = scopeFromFlags(values, {}, 'required');
    if (!values.yes) {
      throw new UsageError(`this would erase every memory, history entry, message, queued add and entity of ${describeScope(scope)} for good; add --yes to do it`);
    }
    return withMemory(values, io, async (memory) => {
      const erased = await memory.forget(scope);
      if (values.json) printJson(io, erased);
      else {
        const more = [
          erased.jobs > 0 ? count(erased.jobs, 'queued add') : undefined,
          erased.entities > 0 ? count(erased.entities, 'entity', 'entities') : undefined,
          erased.relations > 0 ? count(erased.relations, 'relation') : undefined,
        ].flatMap((part) => (part === undefined ? [] : [`, ${part}`]));
        io.out(`Forgot ${describeScope(scope)}: ${count(erased.memories, 'memory', 'memories')}${more.join('')} and ${count(erased.messages, 'message')} erased.`);
      }
      return EXIT.ok;
    });
  },
});
