import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { itemDetails, printJson } from '../format.js';
import { metadataFlag } from '../json-flags.js';
import { GRAPH_OPTION, GRAPH_USAGE, STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram update — rewrite a memory (its history keeps the old text)

Usage:
  engram update <id> <text...> [--metadata <json>] [--graph] [--json]

  The memory keeps its id and gets a new version, re-embedded; the old version
  is closed, not erased: \`engram history <id>\` and --as-of reads still show it.
  Exit code 3 when no current memory has this id.

Options:
  --metadata <json>           replace the memory's metadata, e.g. '{"topic":"diet"}'
${GRAPH_USAGE};
                              the relations of the old text end, the names in the new one are linked
  --json                      print the new version as JSON

${STORE_USAGE}

Example:
  engram update 019ac0de-4a1b-7c3d-9e2f-0123456789ab "I am allergic to penicillin and amoxicillin"
`;

export const updateCommand = defineCommand({
  name: 'update',
  summary: 'rewrite a memory; the old version stays in its history',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...GRAPH_OPTION, ...JSON_OPTION, metadata: { type: 'string' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 2 }, positionals.length === 0 ? 'the memory id and the new text' : 'the new text');
    const [id, ...words] = positionals as [string, ...string[]];
    const metadata = metadataFlag(values.metadata);
    return withMemory(values, io, async (memory) => {
      const updated = await memory.update(id, words.join(' '), metadata === undefined ? {} : { metadata });
      if (values.json) printJson(io, updated);
      else for (const line of itemDetails(updated)) io.out(line);
      return EXIT.ok;
    });
  },
});
