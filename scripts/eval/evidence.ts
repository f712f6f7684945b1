/** Why an evidence entry could not be used. */
export type SkippedEvidence = { raw: string; reason: 'malformed' | 'not-in-conversation' };

/** `repaired`: raw entries that were usable only after splitting or rewriting, e.g. "D8:6; D9:17". */
export type NormalizedEvidence = { ids: string[]; skipped: SkippedEvidence[]; repaired: string[] };

/** "D8:6", also written "D:11:26" or "D30:05" in the dataset. */
const DIA_ID = /^D:?(\d+):(\d+)$/;
/** An id as it should be written. */
const CLEAN_DIA_ID = /^D[1-9]\d*:[1-9]\d*$/;

/**
 * Turns a question's raw evidence list into clean dia_ids. LoCoMo has a few
 * malformed entries: several ids in one string ("D8:6; D9:17", "D9:1 D4:4"),
 * a stray colon ("D:11:26"), a leading zero ("D30:05"), a bare "D", and ids
 * of turns that do not exist. Splits, repairs what is unambiguous, and
 * reports the rest instead of counting unfindable evidence as a miss.
 */
export function normalizeEvidence(raw: readonly string[], known: ReadonlySet<string>): NormalizedEvidence {
  const ids = new Set<string>();
  const skipped: SkippedEvidence[] = [];
  const repaired = raw.filter((entry) => !CLEAN_DIA_ID.test(entry) && entry.split(/[;,\s]+/).some((part) => DIA_ID.test(part)));
  for (const part of raw.flatMap((entry) => entry.split(/[;,\s]+/)).filter((p) => p.length > 0)) {
    const match = DIA_ID.exec(part);
    if (!match) {
      skipped.push({ raw: part, reason: 'malformed' });
      continue;
    }
    const id = `D${Number(match[1])}:${Number(match[2])}`;
    if (known.has(id)) ids.add(id);
    else skipped.push({ raw: part, reason: 'not-in-conversation' });
  }
  return { ids: [...ids], skipped, repaired };
}
