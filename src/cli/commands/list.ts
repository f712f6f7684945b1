import { LIMITS, type GetAllOptions } from '../../index.js';
import { expectPositionals, integerFlag } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, SCOPE_USAGE, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { count, itemLine, printJson } from '../format.js';
import { filterFlag } from '../json-flags.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { AS_OF_USAGE, asOfFlag } from '../time-flags.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram list — the current memories of a scope, newest first

Usage:
  engram list [--limit <n>] [--offset <n>] [--filter <json>] [--as-of <time>] [--json]

  One line per memory: id, since when it holds (UTC), text, metadata.

Options:
  --limit <n>                 page size, 1 to ${LIMITS.maxPageSize} (default 100)
  --offset <n>                skip this many (default 0)
  --filter <json>             metadata filter, e.g. '{"topic":{"in":["health","diet"]}}'
${AS_OF_USAGE}
  --json                      print {"results": [memory]}

${SCOPE_USAGE}

${STORE_USAGE}

Examples:
  engram list --user alice
  engram list --user alice --as-of 2026-01-01T00:00:00Z --json
`;

export const listCommand = defineCommand({
  name: 'list',
  summary: 'the current memories of a scope, newest first',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...SCOPE_OPTIONS, ...JSON_OPTION, limit: { type: 'string' }, offset: { type: 'string' }, filter: { type: 'string' }, 'as-of': { type: 'string' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    const options: GetAllOptions = {
      ...scopeFromFlags(values, io.env, 'os-user'),
      limit: integerFlag('--limit', values.limit, 1, LIMITS.maxPageSize),
      offset: integerFlag('--offset', values.offset, 0, Number.MAX_SAFE_INTEGER),
      filters: filterFlag(values.filter),
      asOf: asOfFlag(values['as-of']),
    };
    return withMemory(values, io, async (memory) => {
      const { results } = await memory.getAll(options);
      if (values.json) {
        printJson(io, { results });
        return EXIT.ok;
      }
      for (const item of results) io.out(itemLine(item));
      io.out(`${results.length === 0 ? 'No memories' : count(results.length, 'memory', 'memories')} of ${describeScope(options)}.`);
      return EXIT.ok;
    });
  },
});
