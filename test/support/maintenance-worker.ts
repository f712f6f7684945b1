/**
 * A second process for the maintenance tests.
 * Usage:
 *   maintenance-worker.ts server <db> <report>       keeps one Memory open, adding a memory every few ms (like `engram serve`)
 *   maintenance-worker.ts writer <db> <report> <key> opens, adds one memory and closes, again and again (like CLI adds);
 *                                                    opens the file plain or with <key>, whichever it is
 *   maintenance-worker.ts rekey <db> <key|-> <newKey|->  prints "go", then encrypts / re-keys / decrypts the file
 * Every acknowledged add is appended to <report> as a line "<id>\t<text>", only after add() returned.
 */
import { appendFileSync } from 'node:fs';
import { EngramError, Memory } from '../../src/index.js';
import { HashingEmbedder } from './hashing-embedder.js';

const [mode, db, third, fourth] = process.argv.slice(2) as [string, string, string, string | undefined];
const embedder = new HashingEmbedder(16, 'maintenance/a');
const keyArg = (value: string | undefined) => (value === undefined || value === '-' ? undefined : value);

async function openEither(key: string | undefined): Promise<Memory> {
  let last: unknown;
  // The file may be encrypted or decrypted between two tries: try both ways a few times.
  for (const encryptionKey of [undefined, key, undefined, key, undefined, key]) {
    try {
      return await Memory.open({ path: db, embedder, llm: null, busyTimeoutMs: 20_000, ...(encryptionKey ? { encryptionKey } : {}) });
    } catch (error) {
      if (!(error instanceof EngramError) || !['DB_INVALID', 'ENCRYPTION_KEY_INVALID'].includes(error.code)) throw error;
      last = error;
    }
  }
  throw last;
}

async function main(): Promise<void> {
  if (mode === 'rekey') {
    process.stdout.write('go\n');
    await Memory.rekey({ path: db, key: keyArg(third), newKey: keyArg(fourth) });
    process.stdout.write('done\n');
    return;
  }
  const report = third;
  let stop = false;
  process.on('SIGTERM', () => {
    stop = true;
  });
  let memory = mode === 'server' ? await openEither(fourth) : undefined;
  for (let i = 0; !stop; i++) {
    const text = `acknowledged note ${process.pid} ${i}`;
    const current = memory ?? (await openEither(fourth));
    const { results } = await current.add(text, { userId: 'patient', infer: false });
    appendFileSync(report, `${results[0]?.id}\t${text}\n`);
    if (!memory) await current.close();
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  await memory?.close();
  memory = undefined;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof EngramError ? `${error.code}: ` : ''}${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
