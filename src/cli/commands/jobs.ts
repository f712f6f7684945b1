import { z } from 'zod';
import { EngramError, JobStatusSchema, LIMITS, type Job, type Memory, type Scope } from '../../index.js';
import { expectPositionals, flagValue, integerFlag } from '../args.js';
import { EXIT, UsageError, type CliIo } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { printJson } from '../format.js';
import { jobDetails, jobListLine } from '../job-format.js';
import { STORE_OPTIONS } from '../runtime-config.js';
import { SCOPE_OPTIONS, type ScopeFlags } from '../scope-flags.js';
import { withMemory } from '../with-memory.js';

const STATUSES = JobStatusSchema.options.join(', ');

const USAGE = `engram jobs — the extraction queue: adds waiting for the LLM, and how they ended

Usage:
  engram jobs list [--status <s,...>] [--user <id>] [--agent <id>] [--run <id>] [--limit <n>] [--offset <n>] [--json]
  engram jobs show <id> [--json]
  engram jobs retry <id> [--json]
  engram jobs cancel <id> [--json]

  list     queued adds, newest first, then the count per status (${STATUSES});
           every scope unless --user/--agent/--run narrow it (flags only: ENGRAM_USER_ID is ignored here)
  show     one add: status, whose, its messages, attempts, the worker holding it, its error or results
  retry    queue a failed or cancelled add again, its attempts reset
  cancel   drop a queued add (its messages stay logged); a running one is cancelled too, and what
           its worker was about to write is thrown away

  Exit code 3 when there is no such add, or it cannot be retried (it is not failed or
  cancelled) or cancelled (it already finished). \`engram worker\` works the queue.

Options:
  --status <s,...>            only these statuses, e.g. --status queued,failed
  --limit <n>                 page size, 1 to ${LIMITS.maxPageSize} (default 100)
  --offset <n>                skip this many (default 0)
  --json                      list: {"results": [job], "counts"}; show, retry, cancel: the job
  --user/--agent/--run <id>   whose adds; with show, retry and cancel an add of anyone else is "not found"

${STORE_USAGE}

Examples:
  engram jobs list --status failed
  engram jobs show 019ac0de-4a1b-7c3d-9e2f-0123456789ab
  engram jobs retry 019ac0de-4a1b-7c3d-9e2f-0123456789ab
`;

const SUBCOMMANDS = ['list', 'show', 'retry', 'cancel'] as const;
const SubcommandSchema = z.enum(SUBCOMMANDS, { error: `must be one of ${SUBCOMMANDS.join(', ')}` });
const StatusListSchema = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(z.enum(JobStatusSchema.options, { error: `must be statuses separated by commas (${STATUSES})` })));

export const jobsCommand = defineCommand({
  name: 'jobs',
  summary: 'the extraction queue: list, show, retry or cancel queued adds',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...SCOPE_OPTIONS, ...JSON_OPTION, status: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' } },
  async run({ values, positionals }, io) {
    const [name, ...rest] = positionals;
    if (name === undefined) throw new UsageError(`missing what to do: ${SUBCOMMANDS.join(', ')}`);
    const subcommand = flagValue('engram jobs <list|show|retry|cancel>', SubcommandSchema, name);
    const scope = flagScope(values);
    if (subcommand === 'list') {
      expectPositionals(rest, { min: 0, max: 0 }, '');
      const options = {
        ...scope,
        status: values.status === undefined ? undefined : flagValue('--status', StatusListSchema, values.status),
        limit: integerFlag('--limit', values.limit, 1, LIMITS.maxPageSize),
        offset: integerFlag('--offset', values.offset, 0, Number.MAX_SAFE_INTEGER),
      };
      return withMemory(values, io, async (memory) => {
        const { results, counts } = await memory.jobs(options);
        if (values.json) {
          printJson(io, { results, counts });
          return EXIT.ok;
        }
        for (const job of results) io.out(jobListLine(job));
        io.out(`${JobStatusSchema.options.map((status) => `${counts[status]} ${status}`).join(', ')}.`);
        return EXIT.ok;
      });
    }
    if (values.status !== undefined || values.limit !== undefined || values.offset !== undefined) {
      throw new UsageError(`--status, --limit and --offset apply to \`engram jobs list\`, not to ${subcommand}`);
    }
    expectPositionals(rest, { min: 1, max: 1 }, 'the job id (from `engram jobs list` or `engram add --no-wait`)');
    const id = rest[0] as string;
    return withMemory(values, io, async (memory) => {
      const job = await ACTIONS[subcommand](memory, id, scope);
      if (values.json) printJson(io, job);
      else print(io, subcommand, job);
      return EXIT.ok;
    });
  },
});

const ACTIONS: Record<'show' | 'retry' | 'cancel', (memory: Memory, id: string, scope: Scope) => Promise<Job>> = {
  show: async (memory, id, scope) => {
    const job = await memory.job(id, scope);
    if (!job) throw new EngramError('NOT_FOUND', `no queued add with id ${id}`);
    return job;
  },
  retry: (memory, id, scope) => memory.retryJob(id, scope),
  cancel: (memory, id, scope) => memory.cancelJob(id, scope),
};

function print(io: CliIo, subcommand: 'show' | 'retry' | 'cancel', job: Job): void {
  if (subcommand === 'retry') io.out(`Queued ${job.id} again (attempts reset); a worker will take it up.`);
  else if (subcommand === 'cancel') io.out(`Cancelled ${job.id}: it will not be applied (its messages stay logged).`);
  else for (const line of jobDetails(job)) io.out(line);
}

/** The scope from the flags alone: an operator's ENGRAM_USER_ID must not hide the rest of the queue. No flag: every scope. */
function flagScope(values: ScopeFlags): Scope {
  const scope: Scope = {};
  if (values.user !== undefined) scope.userId = values.user;
  if (values.agent !== undefined) scope.agentId = values.agent;
  if (values.run !== undefined) scope.runId = values.run;
  return scope;
}
