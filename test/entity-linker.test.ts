import { describe, expect, it } from 'vitest';
import { classifyEntityName, extractEntityMentions, normalizeEntityName } from '../src/graph/entity-linker.js';

/** The offline entity linker: what an add without an LLM records as named in a memory. */

const names = (text: string, options?: { compounds?: boolean }) => extractEntityMentions(text, options).map((m) => `${m.name}/${m.type}`);

describe('extractEntityMentions', () => {
  it('finds people, places and organisations, each once, as first written', () => {
    expect(names('Dr. Smith flew to Paris for Google. Smith loved Paris.')).toEqual(['Dr. Smith/person', 'Paris/place', 'Google/organization']);
    expect(names('We went to Microsoft offices in New York City last week.')).toEqual(['Microsoft/organization', 'New York City/place']);
  });

  it('keeps a multi-word name whole, joined by "of", and drops the possessive', () => {
    expect(names("I visited the Grand Canyon with John's sister.")).toEqual(['Grand Canyon/place', 'John/person']);
    expect(names('She studies at the University of Michigan.')).toEqual(['University of Michigan/organization']);
    expect(names("Jean-Luc Picard's ship")).toEqual(['Jean-Luc Picard/person']);
  });

  it('never makes a name of lower-case words, pronouns, dates or greetings', () => {
    expect(names('The quick brown fox jumps over the lazy dog.')).toEqual([]);
    expect(names("I'm swamped with the kids & work. Wow, that's cool!")).toEqual([]);
    expect(names('We met last Saturday in May, I think.')).toEqual([]);
    expect(names('what did caroline research?')).toEqual([]);
  });

  it('reads a quoted title as one thing, whatever its words', () => {
    expect(names('I read "Charlotte\'s Web" and “nothing is impossible” last year.')).toEqual(["Charlotte's Web/thing", 'nothing is impossible/thing']);
  });

  it('marks a name only said to someone as addressed, not as what the text is about', () => {
    expect(extractEntityMentions('Thanks, Caroline! Painting is a fun way to relax.')).toEqual([{ name: 'Caroline', type: 'person', addressed: true }]);
    expect(extractEntityMentions('Hey Mel! I met Oscar at the park.')).toEqual([
      { name: 'Mel', type: 'person', addressed: true },
      { name: 'Oscar', type: 'person' },
    ]);
    expect(extractEntityMentions('I went hiking with Mel. It was great, Mel!')).toEqual([{ name: 'Mel', type: 'person' }]);
  });

  it('reports noun compounds as things only when asked, the last word singular', () => {
    const text = 'I signed up for pottery classes and a charity race.';
    expect(names(text)).toEqual([]);
    expect(names(text, { compounds: true })).toEqual(['pottery class/thing', 'charity race/thing']);
  });

  it('gives the same answer every time, and nothing for an empty text', () => {
    const text = 'Melanie took the kids to Lake Tahoe, then met Dr. Lee at Stanford.';
    expect(extractEntityMentions(text)).toEqual(extractEntityMentions(text));
    expect(extractEntityMentions('')).toEqual([]);
    expect(extractEntityMentions('   ')).toEqual([]);
  });
});

describe('normalizeEntityName', () => {
  it('matches "Dr. Smith", "Smith" and "Smith\'s" alike', () => {
    expect(normalizeEntityName('Dr. Smith')).toBe('smith');
    expect(normalizeEntityName('Smith')).toBe('smith');
    expect(normalizeEntityName("Smith's")).toBe('smith');
    expect(normalizeEntityName('Mrs Smith')).toBe('smith');
    expect(normalizeEntityName('Ms. Anna Smith')).toBe('anna smith');
  });

  it('drops case, width, leading articles, surrounding punctuation and quotes', () => {
    expect(normalizeEntityName("  The Grand  Canyon's ")).toBe('grand canyon');
    expect(normalizeEntityName('ＰＡＲＩＳ!')).toBe('paris');
    expect(normalizeEntityName('"Charlotte’s Web"')).toBe("charlotte's web");
    expect(normalizeEntityName("James'")).toBe('james');
    expect(normalizeEntityName('an Apple')).toBe('apple');
  });

  it('leaves nothing of a name that is only an article, an honorific or punctuation', () => {
    expect(normalizeEntityName('The')).toBe('');
    expect(normalizeEntityName('...')).toBe('');
    expect(normalizeEntityName('')).toBe('');
  });
});

describe('classifyEntityName', () => {
  it('types a name alone, and calls anything unknown a thing', () => {
    expect(classifyEntityName('Dr. Smith')).toBe('person');
    expect(classifyEntityName('Paris')).toBe('place');
    expect(classifyEntityName('Google')).toBe('organization');
    expect(classifyEntityName('pottery class')).toBe('thing');
    expect(classifyEntityName('')).toBe('thing');
  });
});
