import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isPostgresUrl } from '../../memory-options.js';
import type { ImportProgress } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { CountProgressView } from '../count-progress.js';
import { defineCommand } from '../define-command.js';
import { printJson } from '../format.js';
import { inputLines } from '../input.js';
import { resolveRuntimeConfig, STORE_OPTIONS } from '../runtime-config.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram import — load an export (JSON Lines) into a file

Usage:
  engram import <file | -> [--json]

  Every line is checked first: if one is invalid, the import fails with its
  line number (exit code 1) and nothing is written. Memories are re-embedded
  with this file's embedding model. Importing is idempotent: memories and
  messages already present are skipped, so importing twice adds nothing and an
  interrupted import can simply be run again. Progress goes to stderr. The
  export's entity graph (entities and relations) is imported with it; an
  entity whose name its scope already has here is skipped, the one here kept.
  The store's policy comes with a whole-file export: it is set here when this
  store has none (a policy already here stands).

Options:
  --json                      print {"policy": {added, skipped}, "memories": {added, skipped}, "messages": {added, skipped},
                              "jobs": {added, skipped}, "entities": {added, skipped}, "relations": {added, skipped}}

${STORE_USAGE}

Examples:
  engram import backup.jsonl --db restored.db
  engram export --db old.db | engram import --db new.db -
  engram export --db memory.db | engram import --db postgres://engram:secret@db.internal:5432/engram -
`;

const IMPORT_LABELS = { policy: 'policy', jobs: 'queued adds', entities: 'entities', relations: 'relations' } as const;

const PHASE_LABELS: Record<ImportProgress['phase'], string> = { reading: 'checking lines', messages: 'messages', memories: 'memories' };

/** What opening `db` would create: the file with its companions, and the topmost missing folder. */
function newPaths(db: string): string[] {
  if (isPostgresUrl(db)) return []; // a server's database is not created by opening it
  const file = resolve(db);
  if (existsSync(file)) return [];
  let top: string | undefined;
  for (let folder = dirname(file); !existsSync(folder); folder = dirname(folder)) top = folder;
  return [file, `${file}-wal`, `${file}-shm`, `${file}.lock`, ...(top ? [top] : [])];
}

export const importCommand = defineCommand({
  name: 'import',
  summary: 'load an export into a file (validated first, idempotent)',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 1, max: 1 }, 'the file to import (or "-" for stdin)');
    const lines = await inputLines(positionals[0] as string, io);
    const { db } = resolveRuntimeConfig(values, io.env);
    const created = db === ':memory:' ? undefined : newPaths(db);
    try {
      return await withMemory(
        values,
        io,
        async (memory) => {
          const view = new CountProgressView(io.err);
          const result = await memory
            .import(lines, { onProgress: (p) => view.update(PHASE_LABELS[p.phase], p.done, p.total) })
            .finally(() => view.finish());
          if (values.json) {
            printJson(io, result);
            return EXIT.ok;
          }
          const { memories: m, messages: s } = result;
          // Queued adds and the graph only when the export had some: most files have neither.
          const more = (['policy', 'jobs', 'entities', 'relations'] as const)
            .filter((key) => result[key].added + result[key].skipped > 0)
            .map((key) => `; ${IMPORT_LABELS[key]}: ${result[key].added} added, ${result[key].skipped} skipped`)
            .join('');
          io.out(`Imported memories: ${m.added} added, ${m.skipped} skipped (already present); messages: ${s.added} added, ${s.skipped} skipped${more}.`);
          return EXIT.ok;
        },
        { create: true },
      );
    } catch (error) {
      // A failed import into a new file leaves nothing behind: no empty database, no folders.
      for (const path of created ?? []) rmSync(path, { recursive: true, force: true });
      throw error;
    }
  },
});
