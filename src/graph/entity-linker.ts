/**
 * An offline entity linker: finds the people, places, organisations and
 * named things a text mentions, with no LLM, so an add with `infer: false`
 * can still join the entity graph. It reads the part-of-speech tags of
 * compromise (a rule-based English tagger, pure JavaScript) and chunks them
 * itself: runs of proper nouns ("Dr. Smith", "Grand Canyon", "University of
 * Michigan"), quoted titles ("Charlotte's Web") and, on request, compounds
 * of common nouns ("pottery class"). Deterministic: one text, one answer.
 */
import { createRequire } from 'node:module';
import type nlpType from 'compromise/two';

export type EntityMentionType = 'person' | 'place' | 'organization' | 'thing';
/**
 * `addressed`: the text only speaks *to* this person ("Thanks, Mel!", "Hey
 * Caroline"), never about them: in a conversation that is the listener, not
 * the subject, and search should not treat it as being about them.
 */
export type EntityMention = { name: string; type: EntityMentionType; addressed?: true };

export type LinkerOptions = {
  /**
   * Also report compounds of two or more common nouns ("pottery class",
   * "charity race") as things, the last word singular.
   * @default false
   */
  compounds?: boolean;
};

/** A term as compromise's `json()` gives it: the word, what stood before and after it, its tags. */
type Term = { text: string; pre: string; post: string; tags: string[] };

let loaded: typeof nlpType | undefined;

/**
 * compromise, loaded on first use: its lexicon takes ~0.2-0.4 s to load, which
 * opening a store must not pay. `require` keeps the linker synchronous.
 */
function nlp(): typeof nlpType {
  loaded ??= createRequire(import.meta.url)('compromise/two') as typeof nlpType;
  return loaded;
}

const PERSON_TAGS = ['Person', 'FirstName', 'LastName', 'MaleName', 'FemaleName', 'Honorific'];
const PLACE_TAGS = ['Place', 'City', 'Country', 'Region', 'Address'];
const ORGANIZATION_TAGS = ['Organization', 'SportsTeam', 'Company'];
/** Capitalised, but not names: "May", "Saturday", "I'm". */
const NOT_A_NAME = ['Pronoun', 'Date', 'Month', 'WeekDay', 'Value', 'Expression'];
/** Lower-case words that may join two proper nouns: "University of Michigan", "Bank of America". */
const JOINERS = new Set(['of', 'de', 'del', 'la', 'von', 'van', 'da']);
/** A quoted title longer than this is more likely a quotation than a name. */
const MAX_TITLE_WORDS = 8;
const OPEN_QUOTE = /["“]/u;
const CLOSE_QUOTE = /["”]/u;

const has = (term: Term, tags: readonly string[]) => tags.some((t) => term.tags.includes(t));

/** A name is written with a capital somewhere ("Paris", "iPhone", "LGBTQ"), or in a script without case. */
const CAPITALISED = /[\p{Lu}\p{Lt}\p{Lo}]/u;

function isProper(term: Term): boolean {
  // The tagger calls some lower-case words proper nouns ("kids & work", "Caroline research"); a name is capitalised.
  if (has(term, NOT_A_NAME) || !CAPITALISED.test(term.text)) return false;
  return has(term, ['ProperNoun', 'Acronym', ...PERSON_TAGS, ...PLACE_TAGS, ...ORGANIZATION_TAGS]);
}

function isCommonNoun(term: Term): boolean {
  return term.tags.includes('Noun') && !has(term, ['ProperNoun', 'Pronoun', 'Possessive', 'Acronym', ...NOT_A_NAME]) && /^\p{L}[\p{L}-]*$/u.test(term.text);
}

/** Punctuation after a word ends a name ("Mel! Good", "Paris, then"), except a hyphen or an abbreviation's dot ("Dr. Smith"). */
function breaksAfter(term: Term): boolean {
  const after = term.post.replace(/\s+/gu, '');
  return after.length > 0 && after !== '-' && !(after === '.' && term.tags.includes('Abbreviation'));
}

function typeOf(terms: readonly Term[]): EntityMentionType {
  if (terms.some((t) => has(t, ORGANIZATION_TAGS))) return 'organization';
  if (terms.some((t) => has(t, PLACE_TAGS))) return 'place';
  if (terms.some((t) => has(t, PERSON_TAGS))) return 'person';
  return 'thing';
}

/** A name as written: the terms' words with their inner punctuation ("Dr. Smith"), no possessive or closing mark. */
function written(terms: readonly Term[]): string {
  const text = terms.map((t, i) => (i === terms.length - 1 ? t.text : `${t.text}${separator(t.post)}`)).join('');
  return text.replace(/['’]s$/u, '').replace(/(?<=s)['’]$/u, '').trim();
}

/** What joins a word of a name to the next: "Jean-Luc", "Dr. Smith", "Grand Canyon". */
function separator(post: string): string {
  const mark = post.trim();
  return mark === '-' ? '-' : `${mark} `;
}

/** Words a name said to someone follows: "Hey Mel", "Thanks, Caroline". */
const GREETINGS = new Set(['hey', 'hi', 'hello', 'thanks', 'thank', 'wow', 'oh', 'yes', 'yeah', 'yay', 'congrats', 'congratulations', 'bye', 'dear', 'sorry', 'ok', 'okay', 'aw', 'aww', 'omg', 'haha', 'morning', 'night', 'welcome', 'cheers', 'well', 'so']);

/**
 * Is the name at terms[start..end] said to someone? After a greeting, or set
 * off by punctuation at either end of its sentence ("Mel, look!", "That's
 * great, Mel!"); never in the middle of a clause ("I met Mel there").
 */
function isVocative(terms: readonly Term[], start: number, end: number): boolean {
  const before = terms[start - 1];
  const last = terms[end] as Term;
  const setOffAfter = /[,!?]/u.test(last.post) || (end === terms.length - 1 && /[.!?]/u.test(last.post));
  if (before === undefined) return setOffAfter;
  const greeting = GREETINGS.has(before.text.toLowerCase()) || (before.text.toLowerCase() === 'you' && terms[start - 2]?.text.toLowerCase() === 'thank');
  if (greeting && (start === 1 || start === 2 || /,/u.test(terms[start - 2]?.post ?? ''))) return true;
  return /,/u.test(before.post) && end === terms.length - 1;
}

/** Chunks one sentence's terms into mentions. */
type Found = (terms: Term[], type?: EntityMentionType, addressed?: boolean) => void;

function sentenceMentions(terms: readonly Term[], compounds: boolean, into: Found): void {
  let proper: Term[] = [];
  let common: Term[] = [];
  let quoted: Term[] | undefined;
  const flushProper = () => {
    // A joiner never ends a name: "Bank of" is "Bank".
    while (proper.length > 0 && JOINERS.has((proper[proper.length - 1] as Term).text.toLowerCase())) proper.pop();
    if (proper.length > 0) {
      const start = terms.indexOf(proper[0] as Term);
      into(proper, undefined, typeOf(proper) === 'person' && isVocative(terms, start, start + proper.length - 1));
    }
    proper = [];
  };
  const flushCommon = () => {
    if (compounds && common.length >= 2) into(common, 'thing');
    common = [];
  };
  terms.forEach((term, i) => {
    if (quoted === undefined && OPEN_QUOTE.test(term.pre)) quoted = [];
    if (quoted !== undefined) {
      quoted.push(term);
      if (CLOSE_QUOTE.test(term.post)) {
        if (quoted.length <= MAX_TITLE_WORDS) into(quoted, 'thing');
        quoted = undefined;
      }
      flushProper();
      flushCommon();
      return;
    }
    const next = terms[i + 1];
    const joins = proper.length > 0 && JOINERS.has(term.text.toLowerCase()) && next !== undefined && isProper(next) && !breaksAfter(term);
    if (isProper(term) || joins) {
      flushCommon();
      proper.push(term);
      if (breaksAfter(term) || term.tags.includes('Possessive')) flushProper();
      return;
    }
    flushProper();
    if (isCommonNoun(term)) {
      common.push(term);
      if (breaksAfter(term)) flushCommon();
      return;
    }
    flushCommon();
  });
  // An unclosed quote is not a title; its words are dropped rather than guessed at.
  flushProper();
  flushCommon();
}

function termsOf(text: string): Term[][] {
  const sentences = nlp()(text).json() as { terms: Term[] }[];
  return sentences.map((s) => s.terms);
}

function singular(word: string): string {
  const world = nlp().world() as { methods: { two: { transform: { noun: { toSingular: (w: string, model: unknown) => string } } } }; model: unknown };
  return world.methods.two.transform.noun.toSingular(word, world.model);
}

/**
 * The entities a text mentions, each once (by normalized name), in order of
 * first mention, with the name as first written. Lower-case words are never
 * names, except inside a quoted title or, with `compounds`, a noun compound.
 * @example
 * extractEntityMentions('Dr. Smith flew to Paris with Google’s CEO.')
 * // [{ name: 'Dr. Smith', type: 'person' }, { name: 'Paris', type: 'place' }, { name: 'Google', type: 'organization' }]
 */
export function extractEntityMentions(text: string, options: LinkerOptions = {}): EntityMention[] {
  const found = new Map<string, EntityMention>();
  const add: Found = (terms, type, addressed) => {
    let name = written(terms);
    if (type === 'thing' && !terms.some(isProper) && terms.length > 1 && terms.every(isCommonNoun)) {
      const last = terms[terms.length - 1] as Term;
      if (last.tags.includes('Plural')) name = `${written(terms.slice(0, -1))} ${singular(last.text.toLowerCase())}`;
    }
    const key = normalizeEntityName(name);
    if (key.length < 2) return;
    const seen = found.get(key);
    // Said to them once and spoken of once: the text is about them too.
    if (seen) {
      if (seen.addressed && !addressed) delete seen.addressed;
      return;
    }
    found.set(key, addressed ? { name, type: type ?? typeOf(terms), addressed: true } : { name, type: type ?? typeOf(terms) });
  };
  for (const terms of termsOf(text)) sentenceMentions(terms, options.compounds ?? false, add);
  return [...found.values()];
}

/** The type a name alone most likely has ("Dr. Smith" a person, "Paris" a place); 'thing' when nothing says otherwise. */
export function classifyEntityName(name: string): EntityMentionType {
  const terms = termsOf(name).flat();
  return terms.length === 0 ? 'thing' : typeOf(terms);
}

const HONORIFIC = /^(?:dr|mr|mrs|ms|mx|miss|prof|professor|sir|dame|madam|mme|mlle|rev|fr|capt|col|gen|lt|sgt)\.?\s+/u;
const ARTICLE = /^(?:the|a|an)\s+/u;
const EDGE_PUNCTUATION = /^[\p{P}\s]+|[\p{P}\s]+$/gu;

/**
 * The key a name is matched by: NFKC, lower case, no surrounding punctuation
 * or quotes, no possessive ('s), no leading article or honorific ("Dr. Smith",
 * "Smith" and "Smith's" are all "smith"). Empty when nothing is left.
 * @example normalizeEntityName("  The Grand Canyon's ") // 'grand canyon'
 */
export function normalizeEntityName(name: string): string {
  let key = name.normalize('NFKC').toLowerCase().replace(/[’‘`´]/gu, "'").replace(/\s+/gu, ' ').replace(EDGE_PUNCTUATION, '');
  for (let previous = ''; previous !== key; ) {
    previous = key;
    key = key.replace(/'s$/u, '').replace(EDGE_PUNCTUATION, '');
    if (HONORIFIC.test(key)) key = key.replace(HONORIFIC, '');
    if (ARTICLE.test(key)) key = key.replace(ARTICLE, '');
  }
  return ['the', 'a', 'an'].includes(key) ? '' : key;
}
