import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UsageError, type CliIo } from './command.js';

function stdinOf(io: CliIo): Readable {
  if (!io.stdin) throw new UsageError('"-" reads from stdin, and there is none here');
  return io.stdin;
}

/** All of stdin as text (`add -`). */
export async function readStdinText(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdinOf(io)) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The lines of a file, or of stdin for "-", read as they come (`import`). */
export async function inputLines(path: string, io: CliIo): Promise<AsyncIterable<string>> {
  if (path === '-') return createInterface({ input: stdinOf(io), crlfDelay: Infinity });
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
}
