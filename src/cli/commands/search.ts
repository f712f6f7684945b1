import { LIMITS, SearchOptionsSchema, type SearchOptions } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { JSON_OPTION, SCOPE_USAGE, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { printJson, scoredLines } from '../format.js';
import { filterFlag } from '../json-flags.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { AS_OF_USAGE, asOfFlag, timeFlag } from '../time-flags.js';
import { optionFlags } from '../option-flags.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram search — find memories by meaning and by words

Usage:
  engram search <query...> [--limit <n>] [--mode hybrid|vector|keyword] [--threshold <x>]
                [--filter <json>] [--as-of <time>] [--reference-date <time>] [--plain]
                [--fusion linear|rrf] [--vector-weight <x>] [--rerank] [--exact] [--graph | --no-graph]
                [--with-neighbours] [--with-sources] [--explain] [--json]

  Prints the best memories first, each with its score in [0, 1], its id and its text.

Options:
  --limit <n>                 how many results, 1 to ${LIMITS.maxSearchLimit} (default 10)
  --mode <mode>               hybrid (default: meaning and words, their scores weighed together), vector, or keyword
  --threshold <x>             leave out results scoring below x (0 to 1)
  --filter <json>             metadata filter, e.g. '{"topic":"health"}' or '{"priority":{"gte":2}}'
${AS_OF_USAGE}
  --reference-date <time>     what "last May" or "two weeks ago" in the query count from (default: --as-of, else now)
  --plain                     the two signals only: no neighbouring turns, no time in the query (hybrid adds them)
  --fusion <how>              how hybrid mode weighs meaning and words: linear (default) or rrf (by rank)
  --vector-weight <x>         the meaning signal's share in linear fusion, 0 to 1 (default 0.5)
  --rerank                    reorder the best candidates with a cross-encoder (ENGRAM_RERANKER_MODEL)
  --exact                     exact vector search over the file (slower; what approximate search is measured against)
  --graph, --no-graph         weigh memories naming the query's entities (default: on when the graph is kept)
  --with-neighbours           show the memories stored just before and after each result in its session
  --with-sources              show the messages each result was stored from
  --explain                   show each signal's score and rank under every result
  --json                      print {"results": [memory & {score, signals?}]}

${SCOPE_USAGE}

${STORE_USAGE}

Examples:
  engram search --user alice "which antibiotics should the doctor avoid?"
  engram search --user alice --mode keyword --limit 3 penicillin --json
`;

/** The options of Memory.search the CLI spells as plain flags: their names, bounds and choices come from its schema. */
const SEARCH_FLAGS = optionFlags(SearchOptionsSchema.shape, ['limit', 'mode', 'threshold', 'fusion', 'vectorWeight', 'rerank', 'exact', 'graph', 'withNeighbours', 'withSources', 'explain']);

export const searchCommand = defineCommand({
  name: 'search',
  summary: 'find memories by meaning and words, best first',
  usage: USAGE,
  options: {
    ...STORE_OPTIONS,
    ...SCOPE_OPTIONS,
    ...JSON_OPTION,
    ...SEARCH_FLAGS.options,
    filter: { type: 'string' },
    'as-of': { type: 'string' },
    'reference-date': { type: 'string' },
    plain: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 1 }, 'the query');
    const query = positionals.join(' ');
    const options: SearchOptions = {
      ...scopeFromFlags(values, io.env, 'os-user'),
      ...SEARCH_FLAGS.read(values),
      filters: filterFlag(values.filter),
      asOf: asOfFlag(values['as-of']),
      referenceDate: timeFlag('--reference-date', values['reference-date']),
      ...(values.plain ? { neighbours: false, time: false } : {}),
    };
    return withMemory(values, io, async (memory) => {
      const { results } = await memory.search(query, options);
      if (values.json) printJson(io, { results });
      else if (results.length === 0) io.out(`No memories of ${describeScope(options)} match.`);
      else for (const result of results) for (const line of scoredLines(result)) io.out(line);
      return EXIT.ok;
    });
  },
});
