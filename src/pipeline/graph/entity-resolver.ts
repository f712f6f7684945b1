import { classifyEntityName, normalizeEntityName } from '../../graph/entity-linker.js';
import { newId } from '../../ids.js';
import { ENTITY_NAME_MAX } from '../../limits.js';
import type { Scope } from '../../schema.js';
import type { EntityRecord, EntityType } from '../../storage/graph-records.js';
import type { StorageTransaction } from '../../storage/storage.js';
import { cleanText } from '../../text-hash.js';

/** The key of the scope's user: no normalized name starts with "@". */
export const USER_KEY = '@user';

/** How the user names themself; "the user" is how a model sometimes writes it. */
const SELF_NAMES = new Set(['i', 'me', 'my', 'myself', 'mine', 'user', 'the user', 'the_user']);

/** A name given by the model merges with an entity whose name's vector is at least this close (and shares a word). */
export const NAME_MATCH_COSINE = 0.9;

/** USER_KEY when `name` is how the user names themself, else undefined. */
export function selfName(name: string): string | undefined {
  return SELF_NAMES.has(name.normalize('NFKC').trim().toLowerCase()) ? USER_KEY : undefined;
}

/** A name as stored (cleaned), or undefined when it cannot name anything (empty, too long, NUL, broken UTF-16). */
export function usableEntityName(raw: string): string | undefined {
  const name = cleanText(raw).replace(/\s+/gu, ' ');
  if (name.length === 0 || name.length > ENTITY_NAME_MAX || name.includes('\u0000') || !name.isWellFormed()) return undefined;
  if (selfName(name) === undefined && normalizeEntityName(name).length === 0) return undefined;
  return name;
}

/**
 * Finds or creates the entity a name refers to, in one exact scope, inside a
 * write transaction. In order: the user ("I", "me"); an entity with this
 * normalized name or alias (exact names are never kept twice); one entity
 * whose name ends with the same words ("Smith" and "Dr. Anna Smith", but
 * never "John Smith" and "Anna Smith"), when only one does; one whose name's
 * vector is at least NAME_MATCH_COSINE close and shares a word. A merged name
 * becomes an alias. Otherwise a new entity.
 */
export class EntityResolver {
  private entities: EntityRecord[] | undefined;

  constructor(
    private readonly tx: StorageTransaction,
    private readonly scope: Scope,
    private readonly now: number,
    private readonly vectors: ReadonlyMap<string, Float32Array>,
    private readonly dimension: number,
  ) {}

  newId(): string {
    return newId(this.now);
  }

  async resolve(name: string, type?: EntityType): Promise<EntityRecord | undefined> {
    const entities = await this.load();
    if (selfName(name)) return this.user(entities);
    const key = normalizeEntityName(name);
    if (key.length === 0) return undefined;
    const exact = entities.find((e) => e.key === key || e.aliases.some((a) => normalizeEntityName(a) === key));
    if (exact) return exact;
    const kind = type ?? classifyEntityName(name);
    const bySuffix = entities.filter((e) => e.type !== 'user' && compatible(e.type, kind) && [e.name, ...e.aliases].some((other) => describesSame(name, other)));
    const vector = this.vectors.get(name);
    let match = bySuffix.length === 1 ? bySuffix[0] : undefined;
    if (!match && vector) match = closestByName(name, vector, entities.filter((e) => compatible(e.type, kind)));
    if (match) {
      const aliases = [...match.aliases, name];
      await this.tx.updateEntity(match.id, { aliases, updatedAt: this.now });
      match.aliases = aliases;
      match.updatedAt = this.now;
      return match;
    }
    if (!vector) return undefined;
    const created: EntityRecord = {
      id: newId(this.now),
      scope: this.scope,
      name,
      key,
      type: kind,
      aliases: [],
      embedding: vector,
      createdAt: this.now,
      updatedAt: this.now,
    };
    await this.tx.insertEntity(created);
    entities.push(created);
    return created;
  }

  private async load(): Promise<EntityRecord[]> {
    this.entities ??= await this.tx.entities(this.scope, { exactScope: true });
    return this.entities;
  }

  /** The scope's user, created on first mention, named by the scope's most specific person-like id. */
  private async user(entities: EntityRecord[]): Promise<EntityRecord> {
    const known = entities.find((e) => e.key === USER_KEY);
    if (known) return known;
    const name = this.scope.userId ?? this.scope.agentId ?? this.scope.runId ?? 'user';
    const created: EntityRecord = {
      id: newId(this.now),
      scope: this.scope,
      name,
      key: USER_KEY,
      type: 'user',
      aliases: [],
      // The user is found by "I" and "me", never by the vector of its id.
      embedding: new Float32Array(this.dimension),
      createdAt: this.now,
      updatedAt: this.now,
    };
    await this.tx.insertEntity(created);
    entities.push(created);
    return created;
  }
}

/**
 * For a match by vector: every capitalized word or number of each name (titles aside) is, or abbreviates, a
 * word of the other ("Acme Corp" and "ACME Corporation"), so a vector never merges "John Smith" with
 * "Dr. Smith", nor "Person 1" with "Person 2".
 */
function namesAgree(a: string, b: string): boolean {
  const bare = (word: string) => word.replace(/[^\p{L}\p{N}]+/gu, '').toLowerCase();
  // Capitalized words and numbers tell names apart ("Person 1", "Person 2"); titles do not.
  const capitals = (name: string) => name.split(/\s+/u).filter((w) => (/^\p{Lu}/u.test(w) || /\p{N}/u.test(w)) && !TITLES.test(w)).map(bare);
  const words = (name: string) => name.split(/\s+/u).map(bare).filter((w) => w.length > 0);
  // An abbreviation is a word of letters cut short ("corp"); numbers must be equal ("1" is not "10").
  const abbreviates = (a: string, b: string) => /^\p{L}{3,}$/u.test(a) && /^\p{L}+$/u.test(b) && b.startsWith(a);
  const covered = (from: string, into: string) => capitals(from).every((c) => words(into).some((w) => w === c || abbreviates(c, w) || abbreviates(w, c)));
  return capitals(a).length > 0 && covered(a, b) && covered(b, a);
}

/**
 * The entity (never the user) whose name's vector is closest to `vector`, at least NAME_MATCH_COSINE,
 * among those whose name or an alias agrees with `name` (see namesAgree); undefined when none does.
 */
export function closestByName(name: string, vector: Float32Array, entities: readonly EntityRecord[]): EntityRecord | undefined {
  let best = NAME_MATCH_COSINE;
  let match: EntityRecord | undefined;
  for (const e of entities) {
    if (e.type === 'user' || ![e.name, ...e.aliases].some((other) => namesAgree(name, other))) continue;
    const cosine = dot(vector, e.embedding);
    if (cosine >= best) {
      best = cosine;
      match = e;
    }
  }
  return match;
}

/** Titles that come before a name without making it another name. */
const TITLES = /^(dr|mr|mrs|ms|miss|prof|sir|dame|st)\.?$/iu;

/**
 * The name rule: one name is the other with describing words in front ("my cardiologist Smith" and
 * "Dr. Smith" are both "smith" described), never with another given name ("John Smith" and "Anna Smith",
 * or "Smith" and "John Smith"): the extra words of the longer name must be lower case or a title.
 */
function describesSame(a: string, b: string): boolean {
  const ka = normalizeEntityName(a).split(' ');
  const kb = normalizeEntityName(b).split(' ');
  const [short, long, longName] = ka.length <= kb.length ? [ka, kb, b] : [kb, ka, a];
  if (short.length === 0 || short[0] === '' || short.length >= long.length) return false;
  if (!short.every((word, i) => long[long.length - short.length + i] === word)) return false;
  const written = longName.split(/\s+/u);
  return written.slice(0, Math.max(0, written.length - short.length)).every((word) => /^\p{Ll}/u.test(word) || TITLES.test(word));
}

/** "thing" is what the linker says when it cannot tell: it goes with anything but the user. */
function compatible(a: EntityType, b: EntityType): boolean {
  return a === b || a === 'thing' || b === 'thing';
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length && i < b.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
