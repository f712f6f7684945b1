import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { UsageError, type CliIo } from './command.js';

function stdinOf(io: CliIo): Readable {
  if (!io.stdin) throw new UsageError('"-" reads from stdin, and there is none here');
  return io.stdin;
}

/** All of stdin as text (`add -`); bytes that are not UTF-8 are refused, never stored as U+FFFD. */
export async function readStdinText(io: CliIo): Promise<string> {
  let text = '';
  for await (const piece of strictUtf8(stdinOf(io), 'stdin')) text += piece;
  return text;
}

/** The lines of a file, or of stdin for "-", read as they come (`import`); bytes that are not UTF-8 are refused. */
export async function inputLines(path: string, io: CliIo): Promise<AsyncIterable<string>> {
  if (path === '-') return lines(strictUtf8(stdinOf(io), 'stdin'));
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return lines(strictUtf8(createReadStream(path), path));
}

async function* strictUtf8(input: Readable, name: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  try {
    for await (const chunk of input) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      yield decoder.decode(bytes, { stream: true });
      offset += bytes.length;
    }
    yield decoder.decode();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UsageError(`${name} is not valid UTF-8 (near byte ${offset}); save it as UTF-8 and retry`);
  }
}

async function* lines(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  let pending = '';
  for await (const piece of pieces) {
    pending += piece;
    const parts = pending.split('\n');
    pending = parts.pop() as string;
    for (const line of parts) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}
