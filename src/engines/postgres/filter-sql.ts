import type { FilterNode, FilterValue } from '../../filter.js';
import type { SqlParams } from './sql-params.js';

/**
 * Compiles a parsed metadata filter into a boolean SQL expression over
 * `column` (JSONB). Keys and values are bound parameters (`column -> $n`), so
 * no user text is ever spliced into SQL. Each comparison yields true or
 * false, never NULL, so NOT behaves as users expect on missing keys.
 * Semantics follow the SQLite engine: typed equality, ordered comparisons
 * only number-to-number or string-to-string (strings byte-wise, as SQLite
 * does), `contains` as substring of a string or typed element of an array.
 */
export function compileFilter(node: FilterNode, column: string, params: SqlParams): string {
  switch (node.type) {
    case 'and':
    case 'or': {
      if (node.children.length === 0) return node.type === 'and' ? 'TRUE' : 'FALSE';
      return `(${node.children.map((child) => compileFilter(child, column, params)).join(node.type === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `(NOT ${compileFilter(node.child, column, params)})`;
    case 'compare':
      return compileComparison(`(${column} -> ${params.add(node.key)}::text)`, node.op, node.value, params);
    case 'time':
      // The memory's own date column, beside the metadata column (same table alias).
      return `${column.slice(0, column.lastIndexOf('.') + 1)}${node.field} ${RANGE_SQL[node.op]} ${params.add(node.value)}`;
    case 'ids':
      return `${column.slice(0, column.lastIndexOf('.') + 1)}id = ANY(${params.add(node.ids)}::text[])`;
  }
}

const RANGE_SQL = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function compileComparison(field: string, op: string, value: FilterValue | FilterValue[], params: SqlParams): string {
  switch (op) {
    case 'eq':
      return equals(field, value as FilterValue, params);
    case 'ne':
      return `(NOT ${equals(field, value as FilterValue, params)})`;
    case 'in':
      return anyOf(field, value as FilterValue[], params);
    case 'nin':
      return `(NOT ${anyOf(field, value as FilterValue[], params)})`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return ordered(field, op, value as number | string, params);
    case 'contains':
      return contains(field, value as FilterValue, params);
    case 'icontains':
      return containsIgnoringCase(field, value as string, params);
    default:
      throw new Error(`unreachable operator ${op}`);
  }
}

/** A filter value as a JSONB parameter: JSONB equality is typed ("5" ≠ 5, true ≠ 1) and numeric for numbers (1 = 1.0). */
function jsonb(value: FilterValue, params: SqlParams): string {
  return `${params.add(JSON.stringify(value))}::text::jsonb`;
}

function equals(field: string, value: FilterValue, params: SqlParams): string {
  return `coalesce(${field} = ${jsonb(value, params)}, FALSE)`;
}

function anyOf(field: string, values: FilterValue[], params: SqlParams): string {
  return `(${values.map((v) => equals(field, v, params)).join(' OR ')})`;
}

const COMPARATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and the cast must only see numbers. */
function ordered(field: string, op: keyof typeof COMPARATORS, bound: number | string, params: SqlParams): string {
  if (typeof bound === 'number') {
    return `(CASE WHEN jsonb_typeof(${field}) = 'number' THEN (${field} #>> '{}')::numeric ${COMPARATORS[op]} ${params.add(String(bound))}::numeric ELSE FALSE END)`;
  }
  return `(CASE WHEN jsonb_typeof(${field}) = 'string' THEN (${field} #>> '{}') COLLATE "C" ${COMPARATORS[op]} ${params.add(bound)}::text COLLATE "C" ELSE FALSE END)`;
}

/** A–Z folded to a–z and nothing else, as SQLite's lower() does without ICU: both engines answer alike whatever the locale. */
const foldAscii = (sql: string) => `translate(${sql}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;

function containsIgnoringCase(field: string, value: string, params: SqlParams): string {
  const needle = foldAscii(`${params.add(value)}::text`);
  const element = `EXISTS (SELECT 1 FROM jsonb_array_elements(${field}) AS el(value) WHERE jsonb_typeof(el.value) = 'string' AND ${foldAscii(`(el.value #>> '{}')`)} = ${needle})`;
  return `(CASE jsonb_typeof(${field}) WHEN 'array' THEN ${element} WHEN 'string' THEN strpos(${foldAscii(`(${field} #>> '{}')`)}, ${needle}) > 0 ELSE FALSE END)`;
}

function contains(field: string, value: FilterValue, params: SqlParams): string {
  const element = `EXISTS (SELECT 1 FROM jsonb_array_elements(${field}) AS el(value) WHERE el.value = ${jsonb(value, params)})`;
  const substring = typeof value === 'string' ? ` WHEN 'string' THEN strpos(${field} #>> '{}', ${params.add(value)}::text) > 0` : '';
  return `(CASE jsonb_typeof(${field}) WHEN 'array' THEN ${element}${substring} ELSE FALSE END)`;
}
