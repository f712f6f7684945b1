/** Words so common that matching them says little and costs long posting lists. */
const STOPWORDS = new Set(
  'a an and are as at be but by did do does for from had has have he her his how i if in is it its me my of on or our she so that the their them they this to was we were what when where which who why will with you your'.split(
    ' ',
  ),
);
const MAX_TERMS = 32;

/** A keyword query two ways: its words (for the in-memory index) and the same words as a safe FTS5 query. */
export type KeywordQuery = { words: string[]; fts: string };

/**
 * The keyword query of free text: its words (letters and digits, any script),
 * stopwords dropped unless nothing else is left, at most 32; for FTS5 each word
 * is a quoted string, ORed. User text never reaches FTS5's syntax, so quotes,
 * operators (AND, NEAR, *, ^, :) or SQL-looking input cannot break or steer
 * the query. Returns undefined when nothing is left.
 */
export function keywordQuery(text: string): KeywordQuery | undefined {
  const words = [...new Set((text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length <= 64))];
  const meaningful = words.filter((w) => !STOPWORDS.has(w));
  const terms = (meaningful.length > 0 ? meaningful : words).slice(0, MAX_TERMS);
  if (terms.length === 0) return undefined;
  return { words: terms, fts: terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ') };
}

/** The safe FTS5 query of free text (see keywordQuery). */
export function ftsQuery(text: string): string | undefined {
  return keywordQuery(text)?.fts;
}
