import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { printJson } from '../format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram delete — delete a memory (its history stays)

Usage:
  engram delete <id> [--json]

  The memory leaves search, list and get; \`engram history <id>\` and --as-of
  reads keep it. To erase a user's data for good, see \`engram forget\`.
  Exit code 3 when no current memory has this id.

Options:
  --json                      print {"deleted": "<id>"}

${STORE_USAGE}

Example:
  engram delete 019ac0de-4a1b-7c3d-9e2f-0123456789ab
`;

export const deleteCommand = defineCommand({
  name: 'delete',
  summary: 'delete a memory; its history stays',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 1, max: 1 }, 'the memory id');
    const id = positionals[0] as string;
    return withMemory(values, io, async (memory) => {
      await memory.delete(id);
      if (values.json) printJson(io, { deleted: id });
      else io.out(`Deleted ${id}.`);
      return EXIT.ok;
    });
  },
});
