import type { FilterNode, FilterValue } from '../filter.js';

/** A SQL boolean expression with its bound parameters, in order. */
export type SqlFragment = { sql: string; params: unknown[] };

/**
 * Compiles a parsed metadata filter into a SQL expression over `column` (a JSON
 * text column). Every value is a bound parameter; keys become JSON paths that are
 * bound too, so no user text is ever spliced into SQL. Each comparison yields 0 or
 * 1, never NULL, so NOT behaves as users expect on missing keys.
 */
export function compileFilter(node: FilterNode, column: string): SqlFragment {
  switch (node.type) {
    case 'and':
    case 'or': {
      if (node.children.length === 0) return { sql: node.type === 'and' ? '1' : '0', params: [] };
      const parts = node.children.map((child) => compileFilter(child, column));
      const joiner = node.type === 'and' ? ' AND ' : ' OR ';
      return { sql: `(${parts.map((p) => p.sql).join(joiner)})`, params: parts.flatMap((p) => p.params) };
    }
    case 'not': {
      const inner = compileFilter(node.child, column);
      return { sql: `(NOT ${inner.sql})`, params: inner.params };
    }
    case 'compare':
      return compileComparison(node.key, node.op, node.value, column);
    case 'time':
      // The memory's own date column, beside the metadata column (same table alias).
      return { sql: `${tableOf(column)}${node.field} ${COMPARATORS[node.op]} ?`, params: [node.value] };
    case 'ids':
      return { sql: `${tableOf(column)}id IN (${node.ids.map(() => '?').join(', ')})`, params: node.ids };
  }
}

/** `m.metadata` → `m.`: where the memory's other columns are. */
function tableOf(column: string): string {
  return column.slice(0, column.lastIndexOf('.') + 1);
}

function compileComparison(key: string, op: string, value: FilterValue | FilterValue[], column: string): SqlFragment {
  const path = `$.${JSON.stringify(key)}`;
  switch (op) {
    case 'eq':
      return equals(column, path, value as FilterValue);
    case 'ne':
      return negate(equals(column, path, value as FilterValue));
    case 'in':
      return anyOf(column, path, value as FilterValue[]);
    case 'nin':
      return negate(anyOf(column, path, value as FilterValue[]));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return ordered(column, path, op, value as number | string);
    case 'contains':
      return contains(column, path, value as FilterValue);
    case 'icontains':
      return containsIgnoringCase(column, path, value as string);
    default:
      throw new Error(`unreachable operator ${op}`);
  }
}

/** Typed equality: the string "5" never equals the number 5, and true is not 1. */
function equals(column: string, path: string, value: FilterValue): SqlFragment {
  if (value === null) return { sql: `coalesce(json_type(${column}, ?) = 'null', 0)`, params: [path] };
  if (typeof value === 'boolean') {
    return { sql: `coalesce(json_type(${column}, ?) = ?, 0)`, params: [path, value ? 'true' : 'false'] };
  }
  if (typeof value === 'number') {
    return {
      sql: `coalesce(json_type(${column}, ?) IN ('integer', 'real') AND json_extract(${column}, ?) = ?, 0)`,
      params: [path, path, value],
    };
  }
  return {
    sql: `coalesce(json_type(${column}, ?) = 'text' AND json_extract(${column}, ?) = ?, 0)`,
    params: [path, path, value],
  };
}

function anyOf(column: string, path: string, values: FilterValue[]): SqlFragment {
  const parts = values.map((v) => equals(column, path, v));
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

const COMPARATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** Numbers compare with numbers, strings (e.g. ISO dates) with strings; other types never match. */
function ordered(column: string, path: string, op: keyof typeof COMPARATORS, bound: number | string): SqlFragment {
  const types = typeof bound === 'number' ? `('integer', 'real')` : `('text')`;
  return {
    sql: `coalesce(json_type(${column}, ?) IN ${types} AND json_extract(${column}, ?) ${COMPARATORS[op]} ?, 0)`,
    params: [path, path, bound],
  };
}

/** Substring of a string field, or an element (typed-equal) of an array field. */
function contains(column: string, path: string, value: FilterValue): SqlFragment {
  const element = equalsElement(value);
  const substring =
    typeof value === 'string'
      ? { sql: `WHEN 'text' THEN instr(json_extract(${column}, ?), ?) > 0`, params: [path, value] }
      : { sql: '', params: [] };
  return {
    sql:
      `coalesce(CASE json_type(${column}, ?) ` +
      `WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(${column}, ?) AS el WHERE ${element.sql}) ` +
      `${substring.sql} ELSE 0 END, 0)`,
    params: [path, path, ...element.params, ...substring.params],
  };
}

/** contains for text, ignoring the case of A–Z: SQLite's lower() folds ASCII only (no ICU), as the PostgreSQL engine does on purpose. */
function containsIgnoringCase(column: string, path: string, value: string): SqlFragment {
  return {
    sql:
      `coalesce(CASE json_type(${column}, ?) ` +
      `WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(${column}, ?) AS el WHERE el.type = 'text' AND lower(el.value) = lower(?)) ` +
      `WHEN 'text' THEN instr(lower(json_extract(${column}, ?)), lower(?)) > 0 ELSE 0 END, 0)`,
    params: [path, path, value, path, value],
  };
}

function equalsElement(value: FilterValue): SqlFragment {
  if (value === null) return { sql: `el.type = 'null'`, params: [] };
  if (typeof value === 'boolean') return { sql: `el.type = ?`, params: [value ? 'true' : 'false'] };
  if (typeof value === 'number') return { sql: `el.type IN ('integer', 'real') AND el.value = ?`, params: [value] };
  return { sql: `el.type = 'text' AND el.value = ?`, params: [value] };
}

function negate(fragment: SqlFragment): SqlFragment {
  return { sql: `(NOT ${fragment.sql})`, params: fragment.params };
}
