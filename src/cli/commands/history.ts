import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { historyLine, printJson } from '../format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram history — every change to a memory, oldest first

Usage:
  engram history <id> [--json]

  One line per change: when (UTC), ADD / UPDATE / DELETE, by whom (api: you;
  llm: decided by the model while adding), and the text. Works for deleted
  memories too. Exit code 3 when no memory ever had this id.

Options:
  --json                      print {"history": [{event, oldMemory?, newMemory?, actor, reason?, createdAt, ...}]}

${STORE_USAGE}

Example:
  engram history 019ac0de-4a1b-7c3d-9e2f-0123456789ab
`;

export const historyCommand = defineCommand({
  name: 'history',
  summary: 'every change to a memory, oldest first',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 1, max: 1 }, 'the memory id');
    const id = positionals[0] as string;
    return withMemory(values, io, async (memory) => {
      const history = await memory.history(id);
      if (values.json) printJson(io, { history });
      else for (const entry of history) io.out(historyLine(entry));
      return EXIT.ok;
    });
  },
});
