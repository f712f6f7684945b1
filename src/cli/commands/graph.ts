import { z } from 'zod';
import type { Memory, Scope } from '../../index.js';
import { GraphEntitiesOptionsSchema, GraphEntityRefSchema, GraphNeighboursOptionsSchema } from '../../graph/graph-schema.js';
import { expectPositionals, flagValue, integerFlag } from '../args.js';
import { errLine, EXIT, UsageError, type CliIo } from '../command.js';
import { JSON_OPTION, SCOPE_USAGE, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { count, printJson } from '../format.js';
import { entityLine, neighbourhoodLines, relationLine } from '../graph-format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { asOfFlag } from '../time-flags.js';
import { withMemory } from '../with-memory.js';

/** The library's bounds, so a bad --depth or --limit is bad usage (exit 2) rather than an Engram error. */
const MAX_DEPTH = GraphNeighboursOptionsSchema.shape.depth.unwrap().maxValue ?? 1;
const MAX_PAGE = GraphEntitiesOptionsSchema.shape.limit.unwrap().maxValue ?? 1;
const DEFAULT_PAGE: number = GraphEntitiesOptionsSchema.shape.limit.parse(undefined);

const USAGE = `engram graph — the entity graph: who and what the memories name, and how they relate

Usage:
  engram graph entities [--limit <n>] [--offset <n>] [--json]
  engram graph relations [--entity <name|id>] [--as-of <time>] [--all] [--json]
  engram graph neighbours <entity> [--depth <n>] [--as-of <time>] [--json]
  engram graph merge <fromId> <intoId> [--json]
  engram graph link [--json]

  entities     the people, places, organisations and things of the scope, oldest first:
               id, type, name and the other names it was called by
  relations    the relations of the scope (or of one entity), one a line:
                 alice —works_at→ Acme  (since 2025-01-10)
               a relation that stopped or was retired says when:
                 alice —works_at→ Acme  (2025-01-10 to 2025-06-01, retired 2025-06-02)
  neighbours   the entities within --depth relations of one (a name, an alias, an id, or "me"
               for the scope's user), nearest first, and the relations between them
  merge        one entity kept twice under two names: <fromId> becomes an alias of <intoId>,
               its relations move over. Both ids (from \`engram graph entities\`), of one scope
  link         links the scope's memories stored before the graph was on to the names their
               text holds and to who said them (the offline linker; relations need the LLM).
               Safe to run again: memories already linked are left alone

  The graph is kept by adds made with --graph (or ENGRAM_GRAPH=1); reading it needs no switch.
  Exit code 3 when the scope has no such entity (another user's entity is "not found" too).

Options:
  --limit <n>                 entities: page size, 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE})
  --offset <n>                entities: skip this many (default 0)
  --entity <name|id>          relations: only those touching this entity
  --as-of <time>              relations, neighbours: as they were true then (ISO 8601, e.g. 2026-01-01T00:00:00Z)
  --all                       relations: every relation, the retired ones too (not with --as-of)
  --depth <n>                 neighbours: how many relations away, 1 to ${MAX_DEPTH} (default 1)
  --json                      entities, relations: {"results": [...]}; neighbours: {"entity", "entities", "relations"};
                              merge: the entity kept; link: {"linked", "memories"}

${SCOPE_USAGE}

${STORE_USAGE}

Examples:
  engram graph entities --user alice
  engram graph relations --user alice --entity Acme --all
  engram graph neighbours --user alice me --depth 2
  engram graph link --user alice
  engram graph merge --user alice 0190b000-0000-7000-8000-e00000000002 0190b000-0000-7000-8000-e00000000001
`;

const SUBCOMMANDS = ['entities', 'relations', 'neighbours', 'merge', 'link'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const SubcommandSchema = z.enum(SUBCOMMANDS, { error: `must be one of ${SUBCOMMANDS.join(', ')}` });

/** Which subcommands take each flag: another's flag is bad usage, not silently ignored. */
const FLAGS_OF: Record<'limit' | 'offset' | 'entity' | 'as-of' | 'all' | 'depth', readonly Subcommand[]> = {
  limit: ['entities'],
  offset: ['entities'],
  entity: ['relations'],
  'as-of': ['relations', 'neighbours'],
  all: ['relations'],
  depth: ['neighbours'],
};

type GraphFlags = { [K in keyof typeof FLAGS_OF]?: string | boolean | undefined };
type Values = { limit?: string; offset?: string; entity?: string; 'as-of'?: string; all?: boolean; depth?: string; json?: boolean };
/** What a subcommand does once the store is open; its arguments are checked before (bad usage never opens the store). */
type Run = (memory: Memory) => Promise<void>;
type Prepare = (values: Values, rest: string[], scope: Scope, io: CliIo) => Run;

export const graphCommand = defineCommand({
  name: 'graph',
  summary: 'the entity graph: entities, relations, neighbours of one, merge two, link old memories',
  usage: USAGE,
  options: {
    ...STORE_OPTIONS,
    ...SCOPE_OPTIONS,
    ...JSON_OPTION,
    limit: { type: 'string' },
    offset: { type: 'string' },
    entity: { type: 'string' },
    'as-of': { type: 'string' },
    all: { type: 'boolean' },
    depth: { type: 'string' },
  },
  async run({ values, positionals }, io) {
    const [name, ...rest] = positionals;
    if (name === undefined) throw new UsageError(`missing what to do: ${SUBCOMMANDS.join(', ')}`);
    const subcommand = flagValue('engram graph <entities|relations|neighbours|merge|link>', SubcommandSchema, name);
    refuseOtherFlags(subcommand, values);
    // A merge or link writes: say whose graph it changes when the OS user was assumed, as `engram add` does.
    const onDefault =
      subcommand === 'merge' || subcommand === 'link' ? (user: string) => errLine(io, `(no --user given: ${subcommand === 'merge' ? 'merging in' : 'linking'} the graph of your OS user "${user}"; choose with --user or ENGRAM_USER_ID)`) : undefined;
    const run = PREPARE[subcommand](values, rest, scopeFromFlags(values, io.env, 'os-user', onDefault), io);
    return withMemory(values, io, async (memory) => {
      await run(memory);
      return EXIT.ok;
    });
  },
});

const PREPARE: Record<Subcommand, Prepare> = {
  entities(values, rest, scope, io) {
    expectPositionals(rest, { min: 0, max: 0 }, '');
    const options = {
      ...scope,
      limit: integerFlag('--limit', values.limit, 1, MAX_PAGE),
      offset: integerFlag('--offset', values.offset, 0, Number.MAX_SAFE_INTEGER),
    };
    return async (memory) => {
      const { results } = await memory.graph.entities(options);
      if (values.json) return printJson(io, { results });
      for (const entity of results) io.out(entityLine(entity));
      io.out(`${results.length === 0 ? 'No entities' : count(results.length, 'entity', 'entities')} of ${describeScope(scope)}.`);
    };
  },

  relations(values, rest, scope, io) {
    expectPositionals(rest, { min: 0, max: 0 }, '');
    if (values.all && values['as-of'] !== undefined) throw new UsageError('--all lists every relation, whenever it was true: leave out --as-of, or --all');
    const entity = values.entity === undefined ? undefined : entityRef('--entity', values.entity);
    const options = { ...scope, entity, asOf: asOfFlag(values['as-of']), includeRetired: values.all ?? false };
    return async (memory) => {
      const { results } = await memory.graph.relations(options);
      if (values.json) return printJson(io, { results });
      for (const relation of results) io.out(relationLine(relation));
      io.out(relationsSummary(results.length, scope, options));
    };
  },

  neighbours(values, rest, scope, io) {
    expectPositionals(rest, { min: 1, max: 1 }, 'the entity: a name, an alias, an id, or "me"');
    const entity = entityRef('<entity>', rest[0]);
    const depth = integerFlag('--depth', values.depth, 1, MAX_DEPTH) ?? 1;
    const options = { ...scope, depth, asOf: asOfFlag(values['as-of']) };
    return async (memory) => {
      const found = await memory.graph.neighbours(entity, options);
      if (values.json) return printJson(io, found);
      for (const line of neighbourhoodLines(found, depth)) io.out(line);
    };
  },

  merge(values, rest, scope, io) {
    expectPositionals(rest, { min: 2, max: 2 }, rest.length === 0 ? 'the two entity ids: <fromId> <intoId>' : 'the id of the entity to keep (<intoId>)');
    const from = entityRef('<fromId>', rest[0]);
    const into = entityRef('<intoId>', rest[1]);
    return async (memory) => {
      const kept = await memory.graph.merge(from, into, scope);
      if (values.json) return printJson(io, kept);
      const aliases = kept.aliases.length === 0 ? '' : `; also called ${kept.aliases.join(', ')}`;
      io.out(`Merged ${from} into ${kept.name} (${kept.id})${aliases}.`);
    };
  },

  link(values, rest, scope, io) {
    expectPositionals(rest, { min: 0, max: 0 }, '');
    return async (memory) => {
      const result = await memory.graph.link(scope);
      if (values.json) return printJson(io, result);
      io.out(`Linked ${count(result.linked, 'memory', 'memories')} of ${result.memories} current in ${describeScope(scope)} to the entities they name.`);
    };
  },
};


/** A name or id as the library takes it (1 to 200 characters): anything else is bad usage. */
function entityRef(what: string, value: string | undefined): string {
  return flagValue(what, GraphEntityRefSchema, value);
}

function refuseOtherFlags(subcommand: Subcommand, values: GraphFlags): void {
  for (const [flag, takers] of Object.entries(FLAGS_OF) as [keyof GraphFlags, readonly Subcommand[]][]) {
    if (values[flag] !== undefined && !takers.includes(subcommand)) {
      throw new UsageError(`--${flag} applies to \`engram graph ${takers.join('` and `engram graph ')}\`, not to ${subcommand}`);
    }
  }
}

/** "2 relations of user alice touching Acme, as of 2026-01-01T00:00:00Z (retired ones too)." */
function relationsSummary(n: number, scope: Scope, options: { entity?: string | undefined; asOf?: string | undefined; includeRetired: boolean }): string {
  const touching = options.entity === undefined ? '' : ` touching ${options.entity}`;
  const when = options.includeRetired ? ', retired ones too' : options.asOf === undefined ? '' : `, as of ${options.asOf}`;
  return `${n === 0 ? 'No relations' : count(n, 'relation')} of ${describeScope(scope)}${touching}${when}.`;
}
