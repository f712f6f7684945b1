/**
 * A small SentencePiece vocabulary for the tiny test LLM (~1,000 tokens).
 *
 * Layout: `<unk>`, the ChatML control tokens, the 256 `<0xNN>` byte-fallback tokens
 * (so any text, including any JSON string, can be tokenized and generated), every
 * printable ASCII character, JSON punctuation pairs, the keys and enum values of
 * Engram's reconciliation schema, and common English words with the "▁" space prefix.
 *
 * llama.cpp's SentencePiece tokenizer builds tokens by merging adjacent pieces
 * whose concatenation is in the vocabulary, highest score first, so every prefix of
 * a multi-character piece is added too (otherwise "▁memory" could never be formed
 * from "▁", "m", "e", …). Scores fall with insertion order, and prefixes are inserted
 * before the pieces they lead to.
 */
import { TokenType, type SentencePieceVocabulary } from './gguf-tokenizer-metadata.js';

export const SPACE = '\u2581'; // "▁"

export const UNKNOWN = '<unk>';
export const END_OF_TEXT = '<|endoftext|>';
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/** Pieces that JSON output is made of; quotes, brackets and braces also appear alone (ASCII set). */
const JSON_PIECES = ['{"', '"}', '":', '",', '"]', '["', '[]', '{}', '[{', '}]', '},', '":"', '","', '"},', '"}]', '\\"', '\\n'];

/** Keys and values of Engram's reconciliation output, and ChatML roles: appear right after `"` or `\n`. */
const BARE_WORDS = [
  'operations', 'event', 'text', 'kind', 'id', 'ADD', 'UPDATE', 'DELETE', 'NONE',
  'semantic', 'episodic', 'procedural', 'true', 'false', 'null', 'system', 'user', 'assistant',
];

const COMMON_WORDS = `
the of and to a in is it you that he was for on are with as I his they be at one have this from or had by
not word but what some we can out other were all there when up use your how said an each she which do their
time if will way about many then them write would like so these her long make thing see him two has look more
day could go come did number sound no most people my over know water than call first who may down side been
now find any new work part take get place made live where after back little only round man year came show
every good me give our under name very through just form sentence great think say help low line differ turn
cause much mean before move right boy old too same tell does set three want air well also play small end put
home read hand port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father head stand own
page should country found answer school grow study still learn plant cover food sun four between state keep eye
never last let thought city tree cross farm hard start might story saw far sea draw left late run while press
close night real life few north open seem together next white children begin got walk example ease paper group
always music those both mark often letter until mile river car feet care second book carry took science eat room
friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure
door product black short numeral class wind question happen complete ship area half rock order fire south problem
piece told knew pass since top whole king space heard best hour better during hundred five remember step early
hold west ground interest reach fast verb sing listen six table travel less morning ten simple several vowel
toward war lay against pattern slow center love person money serve appear road map rain rule govern pull cold
notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun
field rest correct able pound done beauty drive stood contain front teach week final gave green oh quick develop
ocean warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course
stay wheel full force blue object decide surface deep moon island foot system busy test record boat common gold
possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire
bring yes distant fill east paint language among user likes prefers lives works job coffee tea birthday meeting
project deadline password allergic vegetarian wife husband son daughter Alice Bob Paris London Berlin memory
`.split(/\s+/).filter((w) => w !== '');

const CHAT_PUNCTUATION = ['.', ',', '?', '!', "'s", "n't", ':', ';'];

export interface TinyVocabulary extends SentencePieceVocabulary {
  readonly idOf: (token: string) => number;
}

export function buildTinyVocabulary(): TinyVocabulary {
  const tokens: string[] = [];
  const types: number[] = [];
  const index = new Map<string, number>();
  const add = (token: string, type: TokenType): void => {
    if (index.has(token)) return;
    index.set(token, tokens.length);
    tokens.push(token);
    types.push(type);
  };
  const addPiece = (piece: string): void => {
    for (let end = 1; end <= piece.length; end++) add(piece.slice(0, end), TokenType.NORMAL);
  };

  add(UNKNOWN, TokenType.UNKNOWN);
  for (const control of [END_OF_TEXT, IM_START, IM_END]) add(control, TokenType.CONTROL);
  for (let byte = 0; byte < 256; byte++) add(byteToken(byte), TokenType.BYTE);
  add(SPACE, TokenType.NORMAL);
  for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), TokenType.NORMAL);
  for (const piece of JSON_PIECES) addPiece(piece);
  for (const word of BARE_WORDS) addPiece(word);
  for (const word of [...BARE_WORDS, ...COMMON_WORDS, ...CHAT_PUNCTUATION]) addPiece(SPACE + word);

  // Higher score = merged earlier; ordinary pieces only (control/byte scores are unused).
  const scores = Float32Array.from(tokens, (_, id) => (types[id] === TokenType.NORMAL ? -id : 0));
  const idOf = (token: string): number => {
    const id = index.get(token);
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the tiny vocabulary`);
    return id;
  };
  return {
    model: 'llama',
    tokens,
    types: Int32Array.from(types),
    scores,
    unknownId: idOf(UNKNOWN),
    bosId: idOf(END_OF_TEXT),
    eosId: idOf(IM_END),
    padId: idOf(END_OF_TEXT),
    addBos: false,
    addSpacePrefix: false,
    idOf,
  };
}

export function byteToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}
