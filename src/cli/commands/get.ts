import { EngramError } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { itemDetails, printJson } from '../format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram get — one memory, with every field

Usage:
  engram get <id> [--json]

  Exit code 3 when no current memory has this id (never stored, or deleted;
  \`engram history <id>\` still shows a deleted one).

Options:
  --json                      print the memory as JSON

${STORE_USAGE}

Example:
  engram get 019ac0de-4a1b-7c3d-9e2f-0123456789ab
`;

export const getCommand = defineCommand({
  name: 'get',
  summary: 'one memory by id (exit code 3 if there is none)',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 1, max: 1 }, 'the memory id');
    const id = positionals[0] as string;
    return withMemory(values, io, async (memory) => {
      const item = await memory.get(id);
      if (!item) throw new EngramError('NOT_FOUND', `no current memory with id ${id}`);
      if (values.json) printJson(io, item);
      else for (const line of itemDetails(item)) io.out(line);
      return EXIT.ok;
    });
  },
});
