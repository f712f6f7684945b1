import { displayedDatabase, isPostgresUrl } from '../../database-url.js';
import { existsSync } from 'node:fs';
import { Memory } from '../../index.js';
import { expectPositionals } from '../args.js';
import { errLine, EXIT, UsageError } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { CountProgressView } from '../count-progress.js';
import { defineCommand } from '../define-command.js';
import { count, printJson } from '../format.js';
import { configuredEmbedder, resolveRuntimeConfig, STORE_OPTIONS } from '../runtime-config.js';
import { inSurfaceTerms } from '../surface-terms.js';

const USAGE = `engram reindex — re-embed a file with another embedding model

Usage:
  engram reindex --embedding-model <folder> [--db <file>] [--json]

  A file keeps the embedding model it was built with; opening it with another
  one fails with EMBEDDING_MISMATCH. Reindex computes every memory version's
  vector with the new model (--embedding-model, else ENGRAM_EMBEDDING_MODEL,
  else <models dir>/embedding) and switches the file over at the end, in one
  transaction. Progress goes to stderr.

  It is resumable: if it is interrupted (Ctrl-C, a crash), run the same command
  again and it continues where it stopped. Until it finishes, the file keeps
  working with its old model. Afterwards, use the new model for this file
  (--embedding-model or ENGRAM_EMBEDDING_MODEL).

Options:
  --json                      print {"db", "model", "reembedded"}

${STORE_USAGE}

Example:
  engram models pull multilingual-e5-small     # installs it as models/embedding
  engram reindex --embedding-model models/embedding
`;

export const reindexCommand = defineCommand({
  name: 'reindex',
  summary: 're-embed a file with another embedding model (resumable)',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    const config = resolveRuntimeConfig(values, io.env);
    if (config.db === ':memory:' || isPostgresUrl(config.db) || !existsSync(config.db)) {
      throw new UsageError(`no database file at ${displayedDatabase(config.db)}; nothing to reindex (a PostgreSQL store: export it, then import it with the new model)`);
    }
    errLine(io, `Reindexing ${config.db} with ${config.embeddingModel}. Resumable: if it stops, run the same command again.`);
    const view = new CountProgressView(io.err);
    const { reembedded, model } = await Memory.reindex({
      path: config.db,
      embedder: configuredEmbedder(config),
      encryptionKey: config.encryptionKey,
      onProgress: ({ done, total }) => view.update('re-embedding', done, total),
    })
      .catch((error: unknown) => {
        throw inSurfaceTerms(error, 'cli', config);
      })
      .finally(() => view.finish());
    if (values.json) printJson(io, { db: config.db, model, reembedded });
    else {
      io.out(`${config.db} now uses ${model} (${count(reembedded, 'memory version')} re-embedded).`);
      io.out(`Open it with --embedding-model ${config.embeddingModel} (or ENGRAM_EMBEDDING_MODEL) from now on.`);
    }
    return EXIT.ok;
  },
});
