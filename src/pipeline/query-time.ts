import * as chrono from 'chrono-node';
import type { SearchSignals } from '../schema.js';
import { bestFirst } from './ranking.js';

/** A span of world time a query asks about, [start, end) in ms, and the words that said it. */
export type TimeWindow = { start: number; end: number; text: string };


const DAY_MS = 86_400_000;
/**
 * People speak of an event after it happened ("we went camping last week"), so
 * a memory recorded shortly after the window still tells of it.
 */
const AFTER_SLACK_MS = 7 * DAY_MS;

type Unit = 'day' | 'month' | 'year';

/**
 * The time window a query names, parsed offline by chrono-node: "in 2023",
 * "last May", "on 8 May", "two weeks before 10 April", "yesterday". A date
 * covers its most precise certain unit (a day, a month, a year); a range
 * covers both ends. Undefined when the query names no time.
 */
export function queryTimeWindow(query: string, referenceDate: number): TimeWindow | undefined {
  // "two weeks before the trip" counts from an event, not from today: such a date is not understood.
  const dates = parseDates(query.slice(0, PARSED_QUERY_CHARS), referenceDate).filter((found) => !UNANCHORED.test(found.text));
  // A date given in full outranks a relative one ("last weekend before April 10, 2023").
  const found = dates.find((d) => d.start.isCertain('year')) ?? dates[0];
  if (!found) return undefined;
  const start = spanOf(found.start);
  const end = found.end ? spanOf(found.end) : start;
  if (!start || !end) return undefined;
  return { start: Math.min(start.start, end.start), end: Math.max(start.end, end.end), text: found.text };
}

/** The instants a text names (each the start of its span), read relative to `referenceDate`. */
export function mentionedDates(text: string, referenceDate: number): number[] {
  return parseDates(text, referenceDate).flatMap((found) => {
    const span = spanOf(found.start);
    return span ? [span.start] : [];
  });
}

/**
 * 1 for a memory that falls in the window: recorded inside it (or up to a
 * week after), or naming a date inside it; else 0.
 */
export function timeSignal(window: TimeWindow, validFrom: number, text: string): number {
  if (validFrom >= window.start && validFrom < window.end + AFTER_SLACK_MS) return 1;
  // Only memories that mention a time are parsed further: most do not, and parsing costs.
  const head = text.slice(0, PARSED_MEMORY_CHARS);
  if (!MAY_NAME_TIME.test(head)) return 0;
  return mentionedDates(head, validFrom).some((at) => at >= window.start && at < window.end) ? 1 : 0;
}

/**
 * The parser's cost grows with the text (a 16,000-character query of dates took about 110 ms): a
 * question names its time early, and a memory's dates are read from its beginning only, so a search
 * over long or hostile texts stays fast.
 */
const PARSED_QUERY_CHARS = 1_000;
const PARSED_MEMORY_CHARS = 300;
/** Only the best candidates are read for the dates they name; all are placed by when they were recorded. */
const MENTION_CHECKS = 50;

/** Cheap pre-check: digits, month or weekday names, or relative words. */
const MAY_NAME_TIME =
  /\d|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|yesterday|today|tomorrow|last|next|ago|week|month|year|weekend|tonight)/iu;

/** A relative date whose anchor chrono could not read: "two weeks before", "a day after". */
const UNANCHORED = /\b(before|after)$/iu;

/** chrono's English parser plus bare years after a preposition ("in 2023"), which it leaves alone. */
const parser = chrono.casual.clone();
parser.parsers.push({
  pattern: () => /\b(?:in|during|throughout|since|of)\s+((?:19|20)\d{2})\b(?!\s*(?:am|pm|:))/iu,
  extract: (_context, match) => ({ year: Number(match[1]) }),
});

function parseDates(text: string, referenceDate: number): chrono.ParsedResult[] {
  try {
    return parser.parse(text, new Date(referenceDate));
  } catch {
    return []; // a parser failure means no time understood, never a failed search
  }
}

function spanOf(component: chrono.ParsedComponents): { start: number; end: number } | undefined {
  const unit = precision(component);
  if (!unit) return undefined;
  // chrono reads dates in the machine's time zone, as the person typing means them.
  const date = component.date();
  const year = date.getFullYear();
  const month = date.getMonth();
  if (unit === 'year') return { start: new Date(year, 0, 1).getTime(), end: new Date(year + 1, 0, 1).getTime() };
  if (unit === 'month') return { start: new Date(year, month, 1).getTime(), end: new Date(year, month + 1, 1).getTime() };
  return { start: new Date(year, month, date.getDate()).getTime(), end: new Date(year, month, date.getDate() + 1).getTime() };
}

/** The most precise unit the words fixed; a bare time of day ("at 5pm") fixes no date. */
function precision(component: chrono.ParsedComponents): Unit | undefined {
  if (component.isCertain('day') || component.isCertain('weekday')) return 'day';
  if (component.isCertain('month')) return 'month';
  if (component.isCertain('year')) return 'year';
  return undefined;
}

/**
 * Weighs the time signal in: (score + weight × inside) / (1 + weight), in
 * [0, 1]; memories outside the window keep their order among themselves.
 * Nothing is filtered out: the words of a question can name the wrong month.
 * (A lift of the headroom, score + weight × (1 − score), measured the same on
 * LoCoMo but could not move a memory past a close match from another month.)
 */
export function weighByTime(
  scored: { id: string; score: number }[],
  item: (id: string) => { validFrom: string; memory: string },
  signals: Map<string, SearchSignals>,
  window: TimeWindow,
  weight: number,
): { id: string; score: number }[] {
  return scored
    .map(({ id, score }, rank) => {
      const { validFrom, memory } = item(id);
      const inside = timeSignal(window, Date.parse(validFrom), rank < MENTION_CHECKS ? memory : '');
      if (inside > 0) signals.set(id, { ...signals.get(id), time: inside });
      return { id, score: (score + weight * inside) / (1 + weight) };
    })
    .sort(bestFirst);
}

/** Measured on LoCoMo's questions that name a time (npm run eval:locomo -- --ablation). */
const DEFAULT_TIME_WEIGHT = 0.35;

/** The search option as retrieval takes it: undefined when off or when the query names no time. */
export function timeOptions(option: boolean | { weight: number }, query: string, referenceDate: number): { window: TimeWindow; weight: number } | undefined {
  if (option === false) return undefined;
  const weight = option === true ? DEFAULT_TIME_WEIGHT : option.weight;
  const window = weight > 0 ? queryTimeWindow(query, referenceDate) : undefined;
  return window && { window, weight };
}
