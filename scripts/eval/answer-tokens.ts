/**
 * English stop words (NLTK's list). Month names such as "may" are
 * deliberately absent: dates are answers.
 */
const STOP_WORDS = new Set(
  `a about above after again against ain all am an and any are aren as at be because been before being below between both but by
can couldn d did didn do does doesn doing don down during each few for from further had hadn has hasn have haven having he her
here hers herself him himself his how i if in into is isn it its itself just ll m ma me mightn more most mustn my myself needn no
nor not now o of off on once only or other our ours ourselves out over own re s same shan she should shouldn so some such t than
that the their theirs them themselves then there these they this those through to too under until up ve very was wasn we were weren
what when where which while who whom why will with won wouldn y you your yours yourself yourselves`.split(/\s+/),
);

/**
 * The content words of a text: lower-cased, possessive "'s" dropped ("Mel's"
 * → "mel", so it matches "Mel:"), every other non-letter, non-digit a
 * separator, stop words removed. Applied alike to gold answers and retrieved
 * text, so the two compare word for word.
 */
export function contentTokens(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0 && !STOP_WORDS.has(token));
}
