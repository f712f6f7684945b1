/**
 * Which JSON-schema constructs node-llama-cpp's grammar converter
 * (`llama.createGrammarForJsonSchema`) really honours. It rarely throws: an
 * unsupported construct silently becomes the grammar `null`, and `required` is
 * ignored (every listed property is always generated). So each probe inspects the
 * generated GBNF instead of waiting for an error.
 */
import type { Llama } from 'node-llama-cpp';

interface ConstructProbe {
  readonly label: string;
  readonly schema: unknown;
  /** Returns a complaint about the GBNF, or undefined if the construct is honoured. */
  readonly problem?: (gbnf: string) => string | undefined;
}

const becameNull = (gbnf: string): string | undefined => (/^root ::= null-rule\b/.test(gbnf) ? 'SILENTLY REPLACED BY null' : undefined);

const PROBES: readonly ConstructProbe[] = [
  { label: 'anyOf', schema: { anyOf: [{ type: 'string' }, { type: 'number' }] }, problem: becameNull },
  { label: 'allOf', schema: { allOf: [{ type: 'string' }] }, problem: becameNull },
  { label: 'type: [string, null]', schema: { type: ['string', 'null'] }, problem: becameNull },
  {
    label: 'required: [] (optional property)',
    schema: { type: 'object', properties: { a: { type: 'string' } }, required: [] },
    problem: (gbnf) => (gbnf.includes('"\\"a\\""') ? 'IGNORED: the property is always generated' : undefined),
  },
  { label: 'string minLength/maxLength', schema: { type: 'string', minLength: 1, maxLength: 20 }, problem: becameNull },
  { label: 'array maxItems', schema: { type: 'array', items: { type: 'string' }, maxItems: 3 }, problem: becameNull },
];

/** One line per construct: "honoured", the problem seen in the GBNF, or the converter's error. */
export async function probeSchemaConstructs(llama: Llama): Promise<string[]> {
  const lines: string[] = [];
  for (const probe of PROBES) {
    try {
      // The cast lets constructs outside node-llama-cpp's schema type reach the converter.
      const { grammar } = await llama.createGrammarForJsonSchema(probe.schema as { type: 'string' });
      const root = grammar.split('\n')[0] ?? '';
      lines.push(`${probe.label}: ${probe.problem?.(grammar) ?? 'honoured'} (${root.slice(0, 70)}…)`);
    } catch (error) {
      lines.push(`${probe.label}: REJECTED (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return lines;
}
