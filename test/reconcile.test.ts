import { describe, expect, it } from 'vitest';
import type { MemoryItem } from 'engram-memory';
import type { JsonSchema } from '../src/llm/llm.js';
import { GRAPH_OPERATIONS_JSON_SCHEMA, GraphOperationsSchema, OPERATIONS_JSON_SCHEMA, OperationsSchema, grammarSchema, type Operation } from '../src/pipeline/operations.js';
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
  type Variant = { properties: Record<string, { const?: string }>; required: string[] };
  const variantsOf = (schema: JsonSchema) => (schema.properties as { operations: { items: { oneOf: Variant[] } } }).operations.items.oneOf;
  const filled = (v: Variant) =>
    Object.fromEntries(
      v.required.map((key) => [key, key === 'event' ? v.properties.event!.const : key === 'kind' ? 'semantic' : key === 'relations' ? [{ source: 'I', relation: 'knows', target: 'Anna' }] : 'x']),
    );

  it.each([
    ['without the graph', OPERATIONS_JSON_SCHEMA, OperationsSchema],
    ['with the graph', GRAPH_OPERATIONS_JSON_SCHEMA, GraphOperationsSchema],
  ] as const)('derives the grammar from the zod schema (%s): one source, so every complete answer parses', (_name, json, zod) => {
    expect(json).toEqual(grammarSchema(zod));
    const variants = variantsOf(json);
    expect(variants.map((v) => v.properties.event!.const)).toEqual(['ADD', 'UPDATE', 'DELETE', 'NONE']);
    expect(zod.safeParse({ operations: variants.map(filled) }).success).toBe(true);
    // llama.cpp's grammar reads no $schema, default or anyOf.
    expect(JSON.stringify(json)).not.toMatch(/"\$schema"|"default"|"anyOf"/);
    // The grammar makes the model write kind (and relations) although zod would default them: the drift a hand-written copy had.
    expect(variants[0]!.required).toContain('kind');
    for (const v of variants) {
      for (const key of v.required.filter((k) => k !== 'event' && k !== 'kind' && k !== 'relations')) {
        const { [key]: _dropped, ...missing } = filled(v);
        expect(zod.safeParse({ operations: [missing] }).success, `${v.properties.event!.const} without ${key}`).toBe(false);
      }
    }
  });

  it('asks for relations on ADD and UPDATE only with the graph on', () => {
    const required = (schema: JsonSchema) => variantsOf(schema).map((v) => v.required.includes('relations'));
    expect(required(OPERATIONS_JSON_SCHEMA)).toEqual([false, false, false, false]);
    expect(required(GRAPH_OPERATIONS_JSON_SCHEMA)).toEqual([true, true, false, false]);
    // Without the graph, relations a model adds anyway are not read.
    const parsed = OperationsSchema.parse({ operations: [{ event: 'ADD', text: 'x', kind: 'semantic', relations: [{ source: 'I', relation: 'r', target: 'y' }] }] });
    expect(parsed.operations[0]).not.toHaveProperty('relations');
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
