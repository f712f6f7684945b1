import { existsSync } from 'node:fs';
import { Memory } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../command.js';
import { JSON_OPTION } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { printJson } from '../format.js';
import { resolveRuntimeConfig } from '../runtime-config.js';

type Change = { name: 'encrypt' | 'decrypt' | 'rekey'; needsKey: boolean; needsNewKey: boolean; summary: string; done: string };

const KEYS_HELP = `Keys come from the environment, never from flags (a flag would land in your
shell history and in \`ps\`): ENGRAM_KEY is the file's current key, ENGRAM_NEW_KEY
the key to encrypt with (at least 8 characters). Keep the key safe: without it
the memories cannot be recovered.

The change is made on a copy of the file, the copy is opened with the new key
and verified, and only then does it replace the original; on any failure the
original is untouched. Stop every other process using the file first
(\`engram serve\`, \`engram mcp\`, your app).`;

/** `engram encrypt`, `decrypt` and `rekey`: one shape, three key combinations. */
function encryptionCommand(change: Change): CliCommand {
  return defineCommand({
    name: change.name,
    summary: change.summary,
    usage: `engram ${change.name} — ${change.summary}

Usage:
  ${[change.needsKey ? 'ENGRAM_KEY=…' : '', change.needsNewKey ? 'ENGRAM_NEW_KEY=…' : '', `engram ${change.name} [--db <file>] [--json]`].filter(Boolean).join(' ')}

${KEYS_HELP}

Options:
  --db <file>   the database (ENGRAM_DB; default: memory.db in your data folder)
  --json        print {"db", "encrypted"}
`,
    options: { db: { type: 'string' }, ...JSON_OPTION },
    async run({ values, positionals }, io) {
      expectPositionals(positionals, { min: 0, max: 0 }, '');
      const { db } = resolveRuntimeConfig({ db: values.db }, io.env);
      if (!existsSync(db)) throw new UsageError(`no database at ${db}`);
      const key = requiredKey(io, 'ENGRAM_KEY', change.needsKey);
      const newKey = requiredKey(io, 'ENGRAM_NEW_KEY', change.needsNewKey);
      await Memory.rekey({ path: db, key, newKey });
      if (values.json) printJson(io, { db, encrypted: newKey !== undefined });
      else io.out(`${db} ${change.done}.`);
      return EXIT.ok;
    },
  });
}

function requiredKey(io: CliIo, variable: 'ENGRAM_KEY' | 'ENGRAM_NEW_KEY', needed: boolean): string | undefined {
  const value = io.env[variable] || undefined;
  if (needed && value === undefined) throw new UsageError(`set ${variable} to the ${variable === 'ENGRAM_KEY' ? "file's current key" : 'new key'}`);
  return needed ? value : undefined;
}

export const encryptCommand = encryptionCommand({
  name: 'encrypt',
  needsKey: false,
  needsNewKey: true,
  summary: 'encrypt a database file at rest (SQLCipher format) with ENGRAM_NEW_KEY',
  done: 'is now encrypted; open it with ENGRAM_KEY set to that key',
});
export const decryptCommand = encryptionCommand({
  name: 'decrypt',
  needsKey: true,
  needsNewKey: false,
  summary: 'decrypt a database file (the key in ENGRAM_KEY)',
  done: 'is now a plain SQLite file',
});
export const rekeyCommand = encryptionCommand({
  name: 'rekey',
  needsKey: true,
  needsNewKey: true,
  summary: 'change the key of an encrypted database (ENGRAM_KEY → ENGRAM_NEW_KEY)',
  done: 'is now encrypted with the new key; use it as ENGRAM_KEY from now on',
});
