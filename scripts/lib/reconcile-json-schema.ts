/**
 * The JSON schema of Engram's reconciliation output (one operation per candidate
 * fact: ADD a new memory, UPDATE or DELETE an existing one, or NONE), as handed to
 * node-llama-cpp's `createGrammarForJsonSchema` in the model checks.
 *
 * node-llama-cpp supports `oneOf`, `const` and `enum`; it ignores `required` (every
 * listed property is always generated) and has no `anyOf`.
 */

export const RECONCILE_SCHEMA = {
  type: 'object',
  properties: {
    operations: {
      type: 'array',
      items: {
        oneOf: [
          {
            type: 'object',
            properties: { event: { const: 'ADD' }, text: { type: 'string' }, kind: { enum: ['semantic', 'episodic', 'procedural'] } },
            required: ['event', 'text', 'kind'],
          },
          {
            type: 'object',
            properties: { event: { const: 'UPDATE' }, id: { type: 'string' }, text: { type: 'string' } },
            required: ['event', 'id', 'text'],
          },
          { type: 'object', properties: { event: { const: 'DELETE' }, id: { type: 'string' } }, required: ['event', 'id'] },
          { type: 'object', properties: { event: { const: 'NONE' }, id: { type: 'string' } }, required: ['event', 'id'] },
        ],
      },
    },
  },
  required: ['operations'],
} as const;
