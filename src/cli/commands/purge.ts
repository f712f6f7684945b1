import type { Scope } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { count, printJson } from '../format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram purge — erase expired memories for good

Usage:
  engram purge --expired [--user <id>] [--agent <id>] [--run <id>] [--dry-run] [--json]

  A memory expires at the time its add gave (--expires) or the store policy's
  expireAfterDays set. From then on it is out of search and list, but its
  versions and history stay (history, --as-of reads) until a purge erases them
  as forget would: every version, the history, the entities and relations it
  alone named or stated, and the logged messages only it came from. Without
  scope flags, every scope; ENGRAM_USER_ID / ENGRAM_AGENT_ID are ignored here.
  Run it as often as you like (e.g. daily from cron): it erases only what has
  expired.

Options:
  --expired                   erase expired memories (required: says what is purged)
  --user <id>                 only this user's (and their agents' and runs')
  --agent <id>                only this agent's
  --run <id>                  only this run's
  --dry-run                   erase nothing; say what would be erased
  --json                      print {"dryRun": bool, "memories": n, "messages": n, "entities": n, "relations": n}

${STORE_USAGE}

Examples:
  engram purge --expired --dry-run
  engram purge --expired --user alice
`;

export const purgeCommand = defineCommand({
  name: 'purge',
  summary: 'erase expired memories for good (--expired; --dry-run says what would go)',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...SCOPE_OPTIONS, ...JSON_OPTION, expired: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    if (!values.expired) throw new UsageError('say what to purge: engram purge --expired (memories past their expiry)');
    const dryRun = values['dry-run'] === true;
    // Flags only: an ENGRAM_USER_ID left in a shell profile must never narrow (or aim) an erase.
    const narrowed = values.user !== undefined || values.agent !== undefined || values.run !== undefined;
    const scope: Scope = narrowed ? scopeFromFlags(values, {}, 'required') : {};
    return withMemory(values, io, async (memory) => {
      const erased = await memory.purgeExpired({ ...scope, dryRun });
      if (values.json) {
        printJson(io, { dryRun, ...erased });
        return EXIT.ok;
      }
      const where = Object.keys(scope).length > 0 ? ` of ${describeScope(scope)}` : '';
      const parts = [
        count(erased.messages, 'message'),
        count(erased.entities, 'entity', 'entities'),
        count(erased.relations, 'relation'),
      ].join(', ');
      if (erased.memories === 0) io.out(`No expired memories${where}.`);
      else if (dryRun) io.out(`Would erase ${count(erased.memories, 'expired memory', 'expired memories')}${where}, with ${parts} only they held (nothing erased: --dry-run).`);
      else io.out(`Erased ${count(erased.memories, 'expired memory', 'expired memories')}${where}, with ${parts} only they held.`);
      return EXIT.ok;
    });
  },
});
