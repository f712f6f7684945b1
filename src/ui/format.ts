import type { Owner } from './wire.js';

/** A date as the person's own clock shows it, or a dash. */
export function when(iso: string | undefined | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "user alice" */
export function ownerName(owner: Owner): string {
  return `${owner.type} ${owner.id}`;
}

/** 1 memory, 2 memories. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Who made a change, in words a person reads: the history's `actor`. */
export function actorName(actor: string): string {
  if (actor === 'user') return 'a person';
  if (actor === 'llm') return 'the model';
  return 'a program (API)';
}

/** A score in [0, 1] as two decimals. */
export function score(value: number | undefined | null): string {
  return typeof value === 'number' ? value.toFixed(2) : '—';
}

/** `<input type="datetime-local">`'s value (local time) as an ISO instant, or undefined when empty or invalid. */
export function localInputToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
