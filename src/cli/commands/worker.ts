import { displayedDatabase } from '../../database-url.js';
import type { Memory } from '../../index.js';
import { expectPositionals, integerFlag } from '../args.js';
import { errLine, EXIT } from '../command.js';
import { STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { count } from '../format.js';
import { jobLine, workerTroubleLine } from '../job-format.js';
import { GRAPH_OPTION, openConfiguredMemory, resolveRuntimeConfig, STORE_OPTIONS } from '../runtime-config.js';
import { stopRequested } from '../stop-requested.js';
import { inSurfaceTerms } from '../surface-terms.js';

const MAX_CONCURRENCY = 64;
/** `--once` waits as long as the queue needs: a day is the most flush allows. */
const ONCE_TIMEOUT_MS = 86_400_000;

const USAGE = `engram worker — extract the queued adds, in a process of its own

Usage:
  engram worker [--once] [--concurrency <n>] [--graph] [--db <file|url>] [--llm-model <file.gguf>] [...]

  Works the store's extraction queue: adds queued by \`engram add --no-wait\`,
  by POST /memories with "async_mode": true, and by add_memories over MCP. It
  claims a scope's oldest add (with the adds queued right behind it: one LLM
  call) and prints a line per finished add on stdout:
    done <id> user=alice: 2 ADD, 1 UPDATE
    failed <id> user=alice: <why> [CODE]
  It runs until Ctrl-C or SIGTERM, then lets the adds in flight land (a second
  Ctrl-C stops at once; another worker takes those adds up again). Workers may
  run side by side, on one machine or, with PostgreSQL, on several: each add is
  applied exactly once. Needs the LLM file; the database must exist.

Options:
  --once               work until the queue is empty, then exit (exit code 1 if the worker cannot work)
  --concurrency <n>    scopes worked at once, 1 to ${MAX_CONCURRENCY} (default 1: the LLM answers one call at a time)
  --graph              keep the entity graph: the LLM states the relations of each fact in the same
                       call (env ENGRAM_GRAPH=1; give it to every process that writes the file)

${STORE_USAGE}

Examples:
  engram worker --db /srv/engram/memory.db
  engram serve --no-worker & engram worker      # the REST server answers, the worker extracts
  engram worker --once                           # e.g. from cron, after a day of \`engram add --no-wait\`
`;

export const workerCommand = defineCommand({
  name: 'worker',
  summary: 'extract the queued adds (engram add --no-wait, async REST adds, MCP) until stopped, or --once',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...GRAPH_OPTION, once: { type: 'boolean' }, concurrency: { type: 'string' } },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    const concurrency = integerFlag('--concurrency', values.concurrency, 1, MAX_CONCURRENCY) ?? 1;
    const once = values.once ?? false;
    const config = resolveRuntimeConfig(values, io.env);
    // A worker without its model would claim nothing useful: the missing file is reported now, in the words `engram add` uses.
    const memory = await openConfiguredMemory(config, { create: false, worker: true, concurrency, requireLlm: true, llm: io.llm }).catch((error: unknown) => {
      throw inSurfaceTerms(error, 'cli', config);
    });
    const tally = { done: 0, failed: 0 };
    const offJob = memory.onJob((job) => {
      tally[job.status === 'done' ? 'done' : 'failed'] += 1;
      io.out(jobLine(job));
    });
    let cannotWork: ((error: unknown) => void) | undefined;
    const offError = memory.onWorkerError((error) => {
      if (cannotWork) cannotWork(error);
      else errLine(io, `engram worker: ${workerTroubleLine(error, config)}`);
    });
    errLine(io, `engram worker: working the queue of ${displayedDatabase(config.db)} (concurrency ${concurrency})${once ? ' until it is empty' : '; Ctrl-C stops'}`);
    try {
      if (once) {
        await untilEmpty(memory, (reject) => (cannotWork = reject));
      } else {
        // The queue's own timers do not hold a process open (a library must not); this command lives until it is stopped.
        const alive = setInterval(() => undefined, 60_000);
        await stopRequested(io.signal).finally(() => clearInterval(alive));
        errLine(io, 'engram worker: stopping once the adds in flight land (Ctrl-C again stops at once; they will be taken up again)');
      }
    } catch (error) {
      throw inSurfaceTerms(error, 'cli', config);
    } finally {
      await memory.close();
      offJob();
      offError();
    }
    errLine(io, `engram worker: ${once ? 'the queue is empty; ' : ''}${count(tally.done, 'add')} done, ${tally.failed} failed`);
    return EXIT.ok;
  },
});

/** Waits until nothing is queued or running; a worker that cannot work (no model, a locked store) ends it with its error. */
async function untilEmpty(memory: Memory, onTrouble: (reject: (error: unknown) => void) => void): Promise<void> {
  const trouble = new Promise<never>((_, reject) => onTrouble(reject));
  await Promise.race([memory.flush({ timeoutMs: ONCE_TIMEOUT_MS }), trouble]);
}
