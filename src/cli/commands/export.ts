import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { EngramError, ScopeSchema, type ExportRecord } from '../../index.js';
import { expectPositionals, flagValue } from '../args.js';
import { SCOPE_OPTIONS } from '../scope-flags.js';
import { EXIT, UsageError } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { count, printJson } from '../format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram export — the whole file, or one scope, in Engram's portable format (JSON Lines)

Usage:
  engram export [--out <file>] [--json] [--user <id>] [--agent <id>] [--run <id>]

  One JSON record per line: a header, the store's policy (if any; not in a
  scope's export), the message log, then every memory with
  all its versions, validity, metadata, history and provenance, the entity
  graph (entities and relations, with both time axes), then the queued adds
  not yet applied (\`engram import\` queues them again). Vectors are not
  exported: \`engram import\` re-embeds with the target's model. Without --out
  the lines go to stdout.

Options:
  --out <file>                write to this file (replaced only once the export is complete)
  --user, --agent, --run <id> only this scope's records (a user's covers their agents and runs), e.g. to
                              hand a person their own data; ENGRAM_USER_ID is not read here: without
                              these flags the export is the whole file
  --json                      with --out: print {"file", "memories", "messages", "jobs", "entities", "relations"}

${STORE_USAGE}

Examples:
  engram export --out backup.jsonl
  engram export --user alice --out alice.jsonl
  engram export --db old.db | engram import --db new.db -
`;

type Counts = { memories: number; messages: number; jobs: number; entities: number; relations: number };

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write every memory, version, history entry and message as JSON Lines',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION, ...SCOPE_OPTIONS, out: { type: 'string' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    const out = values.out;
    if (values.json && out === undefined) throw new UsageError('--json needs --out: without it the export itself goes to stdout');
    if (out === '') throw new UsageError('--out needs a file name');
    const narrowed = values.user !== undefined || values.agent !== undefined || values.run !== undefined;
    const options = narrowed ? { scope: flagValue('--user/--agent/--run', ScopeSchema, { userId: values.user, agentId: values.agent, runId: values.run }) } : {};
    return withMemory(values, io, async (memory) => {
      if (out === undefined) {
        for await (const record of memory.export(options)) io.out(JSON.stringify(record));
        return EXIT.ok;
      }
      const counts = await writeExportFile(out, memory.export(options));
      if (values.json) printJson(io, { file: out, ...counts });
      else {
        const more = [
          counts.jobs > 0 ? count(counts.jobs, 'queued add') + ' (still to do)' : undefined,
          counts.entities > 0 ? count(counts.entities, 'entity', 'entities') : undefined,
          counts.relations > 0 ? count(counts.relations, 'relation') : undefined,
        ].flatMap((part) => (part === undefined ? [] : [`, ${part}`]));
        io.out(`Exported ${count(counts.memories, 'memory', 'memories')}${more.join('')} and ${count(counts.messages, 'message')} to ${out}.`);
      }
      return EXIT.ok;
    });
  },
});

function tally(counts: Counts, record: ExportRecord): void {
  if (record.type === 'memory') counts.memories += 1;
  if (record.type === 'message') counts.messages += 1;
  if (record.type === 'job') counts.jobs += 1;
  if (record.type === 'entity') counts.entities += 1;
  if (record.type === 'relation') counts.relations += 1;
}

/** Writes beside the target and renames at the end, so a failed export never leaves half a file under its name. */
async function writeExportFile(path: string, records: AsyncIterable<ExportRecord>): Promise<Counts> {
  const temp = `${path}.${process.pid}.partial`;
  const stream = createWriteStream(temp, { encoding: 'utf8' });
  try {
    const counts: Counts = { memories: 0, messages: 0, jobs: 0, entities: 0, relations: 0 };
    for await (const record of records) {
      tally(counts, record);
      if (!stream.write(`${JSON.stringify(record)}\n`)) await once(stream, 'drain');
    }
    stream.end();
    await finished(stream);
    await rename(temp, path);
    return counts;
  } catch (error) {
    stream.destroy();
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EROFS') throw new UsageError(`cannot write ${path}: ${code}`);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new EngramError('DISK_FULL', `the disk is full: ${path} could not be written (no partial file was left); free some space and retry`, { cause: error });
    }
    throw error;
  }
}
