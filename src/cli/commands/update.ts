import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { itemDetails, printJson } from '../format.js';
import { metadataFlag } from '../json-flags.js';
import { GRAPH_OPTION, GRAPH_USAGE, STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';
import { expiresFlag } from '../expires-flag.js';
import { EngramError, type Memory } from '../../index.js';

/** The memory's current text (an update of metadata or expiry only keeps it). */
async function currentText(memory: Memory, id: string): Promise<string> {
  const item = await memory.get(id);
  if (!item) throw new EngramError('NOT_FOUND', `no current memory with id ${id}`);
  return item.memory;
}

const USAGE = `engram update — rewrite a memory (its history keeps the old text)

Usage:
  engram update <id> <text...> [--metadata <json>] [--expires <when>] [--graph] [--json]
  engram update <id> --expires <when>      change only when it expires

  The memory keeps its id and gets a new version, re-embedded; the old version
  is closed, not erased: \`engram history <id>\` and --as-of reads still show it.
  Exit code 3 when no current memory has this id.

Options:
  --metadata <json>           replace the memory's metadata, e.g. '{"topic":"diet"}'
  --expires <when>            when the new version expires: a lifetime (12h, 30d, 6w), a day (2027-01-31:
                              through that day, UTC), a date-time, or never. Without it, the expiry stays
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
  options: { ...STORE_OPTIONS, ...GRAPH_OPTION, ...JSON_OPTION, metadata: { type: 'string' }, expires: { type: 'string' } },
  async run({ values, positionals }, io) {
    const expiresAt = expiresFlag(values.expires, Date.now(), { allowNever: true });
    // With --expires alone the text may be left out: it stays.
    const textOptional = expiresAt !== undefined || values.metadata !== undefined;
    expectPositionals(positionals, { min: textOptional ? 1 : 2 }, positionals.length === 0 ? 'the memory id and the new text' : 'the new text');
    const [id, ...words] = positionals as [string, ...string[]];
    const metadata = metadataFlag(values.metadata);
    return withMemory(values, io, async (memory) => {
      const text = words.length > 0 ? words.join(' ') : await currentText(memory, id);
      const updated = await memory.update(id, text, { ...(metadata === undefined ? {} : { metadata }), ...(expiresAt === undefined ? {} : { expiresAt }) });
      if (values.json) printJson(io, updated);
      else for (const line of itemDetails(updated)) io.out(line);
      return EXIT.ok;
    });
  },
});
