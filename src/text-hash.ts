import { createHash } from 'node:crypto';

/**
 * The form of a text used to recognise duplicates: Unicode-normalised,
 * case-folded, whitespace collapsed, trailing punctuation dropped.
 * "I like tea." and "i like  tea" are the same memory.
 */
export function normalizeForHash(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/[\s.!?;:,]+$/u, '');
}

/** sha256 (hex) of the normalised text. */
export function textHash(text: string): string {
  return createHash('sha256').update(normalizeForHash(text)).digest('hex');
}

/** The form in which a memory text is stored: NFC, trimmed, inner whitespace runs collapsed to one space. */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(/[^\S\n]+/gu, ' ').replace(/\s*\n\s*/gu, '\n').trim();
}
