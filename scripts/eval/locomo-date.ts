const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "1:56 pm on 8 May, 2023" (the comma after the month is sometimes missing in LoCoMo-style data). */
const LOCOMO_DATE_TIME = /^(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([a-z]+),?\s+(\d{4})$/i;

/**
 * Parses LoCoMo's `session_N_date_time` into an ISO 8601 string. The dataset
 * gives no time zone, so the wall-clock time is read as UTC: every session
 * keeps its stated day, whatever the machine's zone.
 * Throws on anything else, so a malformed date never silently becomes "now".
 */
export function parseLocomoDateTime(value: string): string {
  const match = LOCOMO_DATE_TIME.exec(value.trim());
  if (!match) throw new Error(`not a LoCoMo date-time (expected e.g. "1:56 pm on 8 May, 2023"): ${JSON.stringify(value)}`);
  const [, hourText = '', minuteText = '', meridiem = '', dayText = '', monthText = '', yearText = ''] = match;
  const month = MONTHS.indexOf(monthText.toLowerCase());
  const hour12 = Number(hourText);
  const minute = Number(minuteText);
  const day = Number(dayText);
  const year = Number(yearText);
  if (month < 0 || hour12 < 1 || hour12 > 12 || minute > 59) throw new Error(`not a valid LoCoMo date-time: ${JSON.stringify(value)}`);
  const hour = (hour12 % 12) + (meridiem.toLowerCase() === 'pm' ? 12 : 0);
  const date = new Date(Date.UTC(year, month, day, hour, minute));
  // Date.UTC rolls 31 April over into May: refuse instead.
  if (date.getUTCDate() !== day) throw new Error(`no such day: ${JSON.stringify(value)}`);
  return date.toISOString();
}

/** "8 May 2023": how LoCoMo's answers write dates, so answer tokens can match a memory's date. */
export function spokenDate(iso: string): string {
  const date = new Date(iso);
  const month = MONTHS[date.getUTCMonth()] ?? '';
  return `${date.getUTCDate()} ${month.charAt(0).toUpperCase()}${month.slice(1)} ${date.getUTCFullYear()}`;
}
