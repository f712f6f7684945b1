import { EngramError, type MetadataFilter, type Scope } from '../index.js';

/** Mem0's filter keys that name the scope; Engram's scope has no `app_id`. */
const SCOPE_KEYS = { user_id: 'userId', agent_id: 'agentId', run_id: 'runId' } as const;
type ScopeKey = keyof typeof SCOPE_KEYS;

/**
 * Filter keys of Mem0's hosted API that Engram cannot honour yet, with why.
 * Each is refused (400): a filter must never silently return nothing because
 * it was misread.
 */
const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  app_id: 'Engram has no app scope; use agent_id, or a metadata field',
  timestamp: 'filtering by timestamp is not supported yet',
  expiration_date: 'filtering by expiration_date is not supported: expired memories leave searches and lists on their own',
  keywords: 'keyword filters are not supported; hybrid search already weighs the query’s words',
  entity_ids: 'filtering by graph entity is not supported over this route',
};

/** Mem0's date keys, and the Memory API option each becomes. */
const DATE_KEYS = { created_at: 'createdAt', updated_at: 'updatedAt' } as const;
type DateKey = keyof typeof DATE_KEYS;
type DateBounds = Partial<Record<'gt' | 'gte' | 'lt' | 'lte', string>>;

/** What a Mem0 filter becomes: the scope, the metadata filter, and bounds on the memories' dates. */
export type Mem0Filter = {
  scope: Scope;
  filters: MetadataFilter | undefined;
  ids?: string[] | undefined;
  createdAt?: DateBounds | undefined;
  updatedAt?: DateBounds | undefined;
};

/** Mem0's comparison operators Engram's metadata filter has under the same name. */
const SAME_OPERATORS = new Set(['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'icontains']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function refuse(path: string, why: string): never {
  throw new EngramError('INVALID_INPUT', `${path}: ${why}`);
}

/**
 * Splits a Mem0 `filters` object into the scope (`user_id`, `agent_id`,
 * `run_id`, flat or inside a top-level `AND`) and Engram's metadata filter
 * (the rest: metadata fields, `metadata: {…}`, `AND`/`OR`/`NOT`), with
 * `created_at` / `updated_at` bounds and `memory_ids` beside. What Engram
 * cannot honour — wildcards, `app_id`, keywords, a scope inside
 * `OR`/`NOT` — is INVALID_INPUT naming the key and why.
 *
 * @example mem0Filters({ AND: [{ user_id: 'fay' }, { topic: 'travel' }] }, 'body.filters')
 * // → { scope: { userId: 'fay' }, filters: { AND: [{ topic: 'travel' }] } }
 */
export function mem0Filters(filters: unknown, path: string): Mem0Filter {
  if (filters === undefined || filters === null) return { scope: {}, filters: undefined };
  if (!isObject(filters)) refuse(path, 'must be a JSON object');
  const found: Mem0Filter = { scope: {}, filters: undefined };
  const conditions = conditionsOf(filters, path, found, true);
  found.filters = conditions.length === 0 ? undefined : conditions.length === 1 ? conditions[0] : { AND: conditions };
  return found;
}

/**
 * The metadata conditions of one filter object. Scope keys and date bounds go
 * to `found` when `topLevel` (the object, or an AND chain from it): they
 * narrow the whole request, so they cannot sit inside OR or NOT.
 */
function conditionsOf(filter: Record<string, unknown>, path: string, found: Mem0Filter, topLevel: boolean): MetadataFilter[] {
  const conditions: MetadataFilter[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const here = `${path}.${key}`;
    if (key === 'AND' || key === 'OR') {
      if (!Array.isArray(value) || value.length === 0) refuse(here, 'must be a non-empty array of filters');
      const parts = value.map((item, i) => {
        if (!isObject(item)) refuse(`${here}[${i}]`, 'must be a JSON object');
        return conditionsOf(item, `${here}[${i}]`, found, topLevel && key === 'AND');
      });
      if (key === 'AND') conditions.push(...parts.flat());
      else conditions.push({ OR: parts.map((part) => (part.length === 1 ? (part[0] as MetadataFilter) : { AND: part })) });
    } else if (key === 'NOT') {
      const inner = Array.isArray(value) ? value : [value];
      for (const [i, item] of inner.entries()) {
        if (!isObject(item)) refuse(`${here}[${i}]`, 'must be a JSON object');
        const part = conditionsOf(item, `${here}[${i}]`, found, false);
        conditions.push({ NOT: part.length === 1 ? (part[0] as MetadataFilter) : { AND: part } });
      }
    } else if (key in SCOPE_KEYS) {
      if (!topLevel) refuse(here, 'a user_id, agent_id or run_id inside OR or NOT is not supported: one request reads one scope');
      takeScope(found.scope, key as ScopeKey, value, here);
    } else if (key === 'memory_ids') {
      if (!topLevel) refuse(here, 'memory_ids inside OR or NOT is not supported; put it at the top or in a top-level AND');
      takeIds(found, value, here);
    } else if (key in DATE_KEYS) {
      if (!topLevel) refuse(here, 'a date bound inside OR or NOT is not supported; put it at the top or in a top-level AND');
      takeDates(found, key as DateKey, value, here);
    } else if (key === 'categories') {
      conditions.push(categoriesCondition(value, here));
    } else if (key in UNSUPPORTED_KEYS) {
      refuse(here, UNSUPPORTED_KEYS[key] as string);
    } else if (key === 'metadata') {
      if (!isObject(value)) refuse(here, 'must be an object of metadata fields');
      for (const [field, condition] of Object.entries(value)) conditions.push({ [field]: fieldCondition(condition, `${here}.${field}`) });
    } else {
      conditions.push({ [key]: fieldCondition(value, here) });
    }
  }
  return conditions;
}

function takeScope(scope: Scope, key: ScopeKey, value: unknown, path: string): void {
  const id = isObject(value) && Object.keys(value).length === 1 && 'eq' in value ? value.eq : value;
  if (id === '*') refuse(path, 'the wildcard "*" would read every scope; give one id');
  if (typeof id !== 'string') refuse(path, 'must be one id (a string); reading several scopes at once is not supported');
  const name = SCOPE_KEYS[key];
  if (scope[name] !== undefined && scope[name] !== id) refuse(path, `names a second ${key} ("${scope[name]}" and "${id}"); one request reads one scope`);
  scope[name] = id;
}

/** `memory_ids: [...]` or `{ in: [...] }`: only these memories; given twice, those in both. */
function takeIds(found: Mem0Filter, value: unknown, path: string): void {
  const list = isObject(value) && Object.keys(value).length === 1 && 'in' in value ? value.in : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((id) => typeof id === 'string')) refuse(path, 'must be a non-empty list of memory ids');
  const ids = list as string[];
  found.ids = found.ids ? found.ids.filter((id) => ids.includes(id)) : ids;
  // Two lists with nothing in common select nothing: an id no memory has (ids are UUIDs) says so to the engines.
  if (found.ids.length === 0) found.ids = ['(no id is in both memory_ids lists)'];
}

/** `created_at: { gte: '2024-01-01' }`: bounds on a memory's date, merged with any given before. A bare day is midnight UTC. */
function takeDates(found: Mem0Filter, key: DateKey, value: unknown, path: string): void {
  if (!isObject(value)) refuse(path, 'must be a range such as { "gte": "2024-01-01", "lt": "2024-02-01" }');
  const bounds: DateBounds = { ...found[DATE_KEYS[key]] };
  for (const [op, bound] of Object.entries(value)) {
    if (op !== 'gt' && op !== 'gte' && op !== 'lt' && op !== 'lte') refuse(`${path}.${op}`, 'use gt, gte, lt or lte');
    if (typeof bound !== 'string') refuse(`${path}.${op}`, 'must be a date ("2024-01-01") or an ISO 8601 date-time');
    if (bounds[op] !== undefined && bounds[op] !== bound) refuse(`${path}.${op}`, 'is given twice with different dates');
    bounds[op] = /^\d{4}-\d{2}-\d{2}$/.test(bound) ? `${bound}T00:00:00Z` : bound;
  }
  found[DATE_KEYS[key]] = bounds;
}

/**
 * Mem0's `categories` filter, on the categories a store's policy files facts
 * under (`metadata.categories`): a name, `{ contains: name }`, or
 * `{ in: [names] }` (any of them).
 */
function categoriesCondition(value: unknown, path: string): MetadataFilter {
  const names = typeof value === 'string' ? [value] : isObject(value) && Object.keys(value).length === 1 ? ('contains' in value ? [value.contains] : 'in' in value ? value.in : undefined) : undefined;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    refuse(path, 'must be a category name, { "contains": name } or { "in": [names] }');
  }
  const each = (names as string[]).map((name): MetadataFilter => ({ categories: { contains: name } }));
  return each.length === 1 ? (each[0] as MetadataFilter) : { OR: each };
}

/** One metadata field's condition: a value (equality) or operators; Mem0-only forms are refused. */
function fieldCondition(condition: unknown, path: string): MetadataFilter[string] {
  if (condition === '*') refuse(path, 'the wildcard "*" (any value) is not supported in metadata filters yet');
  if (!isObject(condition)) return condition as MetadataFilter[string];
  for (const op of Object.keys(condition)) {
    if (!SAME_OPERATORS.has(op)) refuse(`${path}.${op}`, `unknown operator; use one of ${[...SAME_OPERATORS].join(' ')}`);
  }
  return condition as MetadataFilter[string];
}
