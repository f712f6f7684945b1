/** The store keeps times as integer milliseconds since the epoch; the API speaks ISO 8601. */
export type EpochMs = number;

export function toIso(ms: EpochMs): string {
  return new Date(ms).toISOString();
}

/** Milliseconds of a Date or an ISO string; undefined when absent. Validation happens in the schemas. */
export function toEpochMs(value: Date | string | undefined): EpochMs | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/** 0000-01-01T00:00:00.000Z: the earliest instant an ISO 8601 date with a four-digit year can name. */
export const MIN_TIME = -62_167_219_200_000;
/** 9999-12-31T23:59:59.999Z: the latest one (also the open end of a validity interval in the vector index). */
export const MAX_TIME = 253_402_300_799_999;
