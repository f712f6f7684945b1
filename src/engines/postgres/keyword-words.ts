/**
 * The words of a keyword query, as the SQLite engine picks them
 * (src/pipeline/fts-query.ts): letters and digits of any script, lower-cased,
 * stopwords dropped unless nothing else is left, at most 32. They reach
 * PostgreSQL as one bound text[] parameter, never as query syntax.
 */
const STOPWORDS = new Set(
  'a an and are as at be but by did do does for from had has have he her his how i if in is it its me my of on or our she so that the their them they this to was we were what when where which who why will with you your'.split(
    ' ',
  ),
);
const MAX_TERMS = 32;

export function keywordWords(text: string): string[] {
  const words = [...new Set((text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length <= 64))];
  const meaningful = words.filter((w) => !STOPWORDS.has(w));
  return (meaningful.length > 0 ? meaningful : words).slice(0, MAX_TERMS);
}
