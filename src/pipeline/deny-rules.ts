import type { DenyRule, Policy } from '../policy.js';

/** One compiled rule: where it matches in a text. */
type Detector = { name: string; find: (text: string) => [start: number, end: number][] };

/** What a policy's deny rules do to texts: redact matches, or say which rule a text breaks. */
export type DenyList = {
  /** The text with every match replaced by `[redacted: <rule>]`, and the rules that matched. */
  redact(text: string): { text: string; rules: string[] };
  /** The first rule the text breaks, or undefined. */
  breaks(text: string): string | undefined;
};

export const NO_DENY_LIST: DenyList = { redact: (text) => ({ text, rules: [] }), breaks: () => undefined };

export function compileDenyList(policy: Policy | undefined): DenyList {
  const detectors = (policy?.deny ?? []).map(detectorOf);
  if (detectors.length === 0) return NO_DENY_LIST;
  const spans = (text: string) =>
    detectors.flatMap((d) => d.find(text).map(([start, end]) => ({ start, end, rule: d.name }))).sort((a, b) => a.start - b.start || b.end - a.end);
  return {
    redact(text) {
      const found = spans(text);
      if (found.length === 0) return { text, rules: [] };
      let out = '';
      let at = 0;
      const rules = new Set<string>();
      for (const span of found) {
        if (span.start < at) continue; // inside a span already redacted
        out += `${text.slice(at, span.start)}[redacted: ${span.rule}]`;
        at = span.end;
        rules.add(span.rule);
      }
      return { text: out + text.slice(at), rules: [...rules] };
    },
    breaks(text) {
      return spans(text)[0]?.rule;
    },
  };
}

function detectorOf(rule: DenyRule): Detector {
  if (typeof rule === 'object') {
    const regex = new RegExp(rule.pattern, `g${rule.flags ?? ''}`);
    return { name: rule.name, find: (text) => matches(regex, text, () => true) };
  }
  switch (rule) {
    case 'card-number':
      // 13–19 digits, in groups separated by spaces or hyphens, passing the Luhn check (a date or a phone number rarely does).
      return { name: rule, find: (text) => matches(/\b\d(?:[ -]?\d){12,18}\b/g, text, (m) => luhn(m.replace(/\D/g, ''))) };
    case 'iban':
      return { name: rule, find: (text) => matches(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, text, (m) => ibanValid(m.replace(/ /g, ''))) };
    case 'email':
      return { name: rule, find: (text) => matches(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/gu, text, () => true) };
    case 'us-ssn':
      return { name: rule, find: (text) => matches(/\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, text, () => true) };
  }
}

function matches(regex: RegExp, text: string, accept: (match: string) => boolean): [number, number][] {
  const found: [number, number][] = [];
  for (const m of text.matchAll(new RegExp(regex.source, regex.flags))) {
    if (m[0].length > 0 && accept(m[0])) found.push([m.index, m.index + m[0].length]);
  }
  return found;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters to numbers, mod 97 = 1. */
function ibanValid(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of moved) {
    const value = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}
