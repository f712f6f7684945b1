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
