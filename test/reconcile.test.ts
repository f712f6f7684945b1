import { describe, expect, it } from 'vitest';
import type { MemoryItem } from 'engram-memory';
import { OPERATIONS_JSON_SCHEMA, OperationsSchema, type Operation } from '../src/pipeline/operations.js';
import { describeDate, reconcilePrompt } from '../src/pipeline/prompts.js';
import { planChanges, type Candidate } from '../src/pipeline/reconcile.js';
import { textHash } from '../src/text-hash.js';

function item(id: string, memory: string): MemoryItem {
  const t = '2024-01-01T00:00:00.000Z';
  return { id, version: 1, memory, hash: textHash(memory), kind: 'semantic', userId: 'u', metadata: {}, createdAt: t, updatedAt: t, validFrom: t };
}

const candidates: Candidate[] = [
  { alias: '0', item: item('id-a', 'Likes coffee') },
  { alias: '1', item: item('id-b', 'Lives in Lisbon') },
];

describe('planChanges', () => {
  it('keeps valid operations in order', () => {
    const plan = planChanges(
      [
        { event: 'UPDATE', id: '0', text: '  Drinks   tea ' },
        { event: 'DELETE', id: '1' },
        { event: 'ADD', text: 'Has a cat', kind: 'semantic' },
      ],
      candidates,
    );
    expect(plan.dropped).toBe(0);
    expect(plan.changes.map((c) => [c.event, 'text' in c ? c.text : undefined, 'target' in c ? c.target.id : undefined])).toEqual([
      ['UPDATE', 'Drinks tea', 'id-a'],
      ['DELETE', undefined, 'id-b'],
      ['ADD', 'Has a cat', undefined],
    ]);
  });

  it('drops unknown ids, second decisions on one memory, and empty texts', () => {
    const operations: Operation[] = [
      { event: 'DELETE', id: '9' },
      { event: 'UPDATE', id: 'id-a', text: 'real ids are not aliases' },
      { event: 'DELETE', id: '0' },
      { event: 'UPDATE', id: '0', text: 'second decision on 0' },
      { event: 'ADD', text: '   ', kind: 'semantic' },
      { event: 'UPDATE', id: '1', text: '' },
    ];
    const plan = planChanges(operations, candidates);
    expect(plan.dropped).toBe(5);
    expect(plan.changes.map((c) => c.event)).toEqual(['DELETE']);
  });

  it('turns repeats into NONE: an ADD of a candidate’s text, an UPDATE to the same text; and drops a repeated ADD', () => {
    const plan = planChanges(
      [
        { event: 'ADD', text: 'likes coffee.', kind: 'semantic' },
        { event: 'UPDATE', id: '1', text: 'Lives in Lisbon' },
        { event: 'ADD', text: 'Has a cat', kind: 'semantic' },
        { event: 'ADD', text: 'has a cat', kind: 'semantic' },
      ],
      candidates,
    );
    expect(plan.changes.map((c) => [c.event, 'target' in c ? c.target.id : c.text])).toEqual([
      ['NONE', 'id-a'],
      ['NONE', 'id-b'],
      ['ADD', 'Has a cat'],
    ]);
  });
});

describe('the operations contract', () => {
  it('the zod schema accepts one example of each grammar variant and requires what the grammar requires', () => {
    const variants = (OPERATIONS_JSON_SCHEMA.properties as { operations: { items: { oneOf: { properties: Record<string, { const?: string }>; required: string[] }[] } } })
      .operations.items.oneOf;
    const examples = variants.map((v) => {
      const event = v.properties.event!.const!;
      return Object.fromEntries(v.required.map((key) => [key, key === 'event' ? event : key === 'kind' ? 'semantic' : 'x']));
    });
    expect(examples.map((e) => e.event)).toEqual(['ADD', 'UPDATE', 'DELETE', 'NONE']);
    expect(OperationsSchema.safeParse({ operations: examples }).success).toBe(true);
    for (const [i, v] of variants.entries()) {
      for (const key of v.required.filter((k) => k !== 'event' && k !== 'kind')) {
        const { [key]: _dropped, ...missing } = examples[i]!;
        expect(OperationsSchema.safeParse({ operations: [missing] }).success, `${v.properties.event!.const} without ${key}`).toBe(false);
      }
    }
  });
});

describe('reconcilePrompt', () => {
  it('puts the fixed instructions first, unchanged, so the model can reuse their evaluation', () => {
    const one = reconcilePrompt({ observedAt: new Date('2024-05-08T10:00:00Z'), candidates: [], earlier: [], messages: [{ role: 'user', content: 'a' }] });
    const two = reconcilePrompt({
      observedAt: new Date('2025-01-01T10:00:00Z'),
      candidates: [{ alias: '0', text: 'x' }],
      earlier: [{ role: 'assistant', content: 'b' }],
      messages: [{ role: 'user', content: 'c' }],
    });
    expect(one[0]).toEqual(two[0]);
    expect(two[1]!.content).toBe('Date: 2025-01-01 (Wednesday)\nEXISTING:\n0. x\nEARLIER (context only):\nassistant: b\nNEW:\nuser: c');
    expect(describeDate(new Date('2024-02-29T23:59:59Z'))).toBe('2024-02-29 (Thursday)');
  });
});
