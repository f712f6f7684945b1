import { LIMITS } from './limits.js';
import { isPlainObject, keyNameProblem, stringProblem } from './json-value.js';

/** A value a metadata field can be compared with. */
export type FilterValue = string | number | boolean | null;

/** Comparison operators on one metadata field. Several in one object are ANDed. */
export type FieldOperators = {
  eq?: FilterValue;
  ne?: FilterValue;
  in?: FilterValue[];
  nin?: FilterValue[];
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
  /** Substring of a string field, or element of an array field. */
  contains?: FilterValue;
  /** As contains, for text, ignoring the case of ASCII letters (both engines fold A–Z alike; other letters must match). */
  icontains?: string;
};

/**
 * A metadata filter: `{ key: value }` (equality), `{ key: { gte: 3 } }`, and the
 * combinators `AND`, `OR` (arrays of filters) and `NOT` (one filter). The keys of
 * one object are ANDed. Keys name top-level metadata fields, never the scope.
 * @example { AND: [{ topic: 'health' }, { priority: { gte: 2 } }], NOT: { status: 'archived' } }
 */
export type MetadataFilter = {
  [key: string]: FilterValue | FieldOperators | MetadataFilter | MetadataFilter[];
};

export const OPERATORS = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'icontains'] as const;
export type Operator = (typeof OPERATORS)[number];

/** A parsed filter: what the SQL compiler works from. */
export type FilterNode =
  | { type: 'and'; children: FilterNode[] }
  | { type: 'or'; children: FilterNode[] }
  | { type: 'not'; child: FilterNode }
  | { type: 'compare'; key: string; op: Operator; value: FilterValue | FilterValue[] }
  /** A bound on the memory's own date (not metadata): epoch milliseconds. */
  | { type: 'time'; field: TimeField; op: RangeOperator; value: number }
  /** Only the memories with these ids. */
  | { type: 'ids'; ids: string[] };

/** The memory's own dates a filter can bound (`createdAt`, `updatedAt` options). */
export type TimeField = 'created_at' | 'updated_at';
export type RangeOperator = 'gt' | 'gte' | 'lt' | 'lte';

/**
 * A metadata filter with bounds on the memory's dates (and a set of ids)
 * ANDed to it: what the `createdAt`, `updatedAt` and `ids` options become for
 * the engines' filter compilers.
 */
export function withTimeBounds(
  filter: FilterNode | undefined,
  bounds: readonly { field: TimeField; range: Partial<Record<RangeOperator, number>> | undefined }[],
  ids?: readonly string[],
): FilterNode | undefined {
  const nodes: FilterNode[] = bounds.flatMap(({ field, range }) =>
    Object.entries(range ?? {}).flatMap(([op, value]) => (value === undefined ? [] : [{ type: 'time' as const, field, op: op as RangeOperator, value }])),
  );
  if (ids) nodes.push({ type: 'ids', ids: [...ids] });
  if (nodes.length === 0) return filter;
  return { type: 'and', children: filter ? [filter, ...nodes] : nodes };
}

/** Thrown by parseFilter; the schema layer turns it into INVALID_INPUT. */
export class FilterShapeError extends Error {}

/** Parses and checks a filter, throwing FilterShapeError with the path of the first problem. */
export function parseFilter(input: unknown): FilterNode {
  // An empty top-level filter means "no filter", as Mem0 clients send it.
  if (isPlainObject(input) && Object.keys(input).length === 0) return { type: 'and', children: [] };
  const budget = { conditions: 0 };
  return parseObject(input, 1, 'filters', budget);
}

function parseObject(input: unknown, depth: number, path: string, budget: { conditions: number }): FilterNode {
  if (depth > LIMITS.maxFilterDepth) fail(`${path} nests deeper than ${LIMITS.maxFilterDepth} levels`);
  if (!isPlainObject(input)) fail(`${path} must be an object`);
  const children: FilterNode[] = [];
  for (const [key, value] of Object.entries(input)) {
    const here = `${path}.${key}`;
    if (key === 'AND' || key === 'OR') {
      if (!Array.isArray(value) || value.length === 0) fail(`${here} must be a non-empty array of filters`);
      const parts = value.map((item, i) => parseObject(item, depth + 1, `${here}[${i}]`, budget));
      children.push({ type: key === 'AND' ? 'and' : 'or', children: parts });
    } else if (key === 'NOT') {
      children.push({ type: 'not', child: parseObject(value, depth + 1, here, budget) });
    } else {
      const keyProblem = keyNameProblem(key);
      if (keyProblem) fail(`${path}: ${keyProblem}`);
      children.push(...parseField(key, value, here, budget));
    }
  }
  if (children.length === 0) fail(`${path} must have at least one condition`);
  return children.length === 1 && children[0] ? children[0] : { type: 'and', children };
}

function parseField(key: string, value: unknown, path: string, budget: { conditions: number }): FilterNode[] {
  const operators: [string, unknown][] = isPlainObject(value) ? Object.entries(value) : [['eq', value]];
  if (operators.length === 0) fail(`${path} has no operator; use one of ${OPERATORS.join(' ')}`);
  return operators.map(([op, operand]) => {
    if (!isOperator(op)) fail(`${path}: unknown operator "${op}"; use one of ${OPERATORS.join(' ')}`);
    budget.conditions += 1;
    if (budget.conditions > LIMITS.maxFilterConditions) fail(`filters have more than ${LIMITS.maxFilterConditions} conditions`);
    return { type: 'compare', key, op, value: parseOperand(op, operand, `${path}.${op}`) } satisfies FilterNode;
  });
}

function parseOperand(op: Operator, operand: unknown, path: string): FilterValue | FilterValue[] {
  if (op === 'in' || op === 'nin') {
    if (!Array.isArray(operand) || operand.length === 0 || operand.length > 100) {
      fail(`${path} must be an array of 1 to 100 values`);
    }
    return operand.map((item, i) => scalar(item, `${path}[${i}]`));
  }
  if (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') {
    const bound = scalar(operand, path);
    if (typeof bound !== 'number' && typeof bound !== 'string') fail(`${path} must be a number or a string`);
    return bound;
  }
  if (op === 'icontains' && typeof operand !== 'string') fail(`${path} must be a string`);
  return scalar(operand, path);
}

function scalar(value: unknown, path: string): FilterValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`${path} must be a finite number`);
    return value;
  }
  if (typeof value === 'string') {
    const problem = stringProblem(value, path);
    if (problem) fail(problem);
    if (value.length > 1_000) fail(`${path} is longer than 1000 characters`);
    return value;
  }
  fail(`${path} must be a string, number, boolean or null`);
}

function isOperator(op: string): op is Operator {
  return (OPERATORS as readonly string[]).includes(op);
}

function fail(message: string): never {
  throw new FilterShapeError(message);
}
