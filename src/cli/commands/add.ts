import { z } from 'zod';
import { EngramError, MemoryItemSchema, MessageSchema, type AddOptions, type Message } from '../../index.js';
import { expectPositionals, flagValue, normalizeBooleanFlag } from '../args.js';
import { errLine, EXIT, UsageError, type CliIo } from '../command.js';
import { JSON_OPTION, SCOPE_USAGE, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { showElapsed } from '../elapsed-line.js';
import { count, eventLine, printJson } from '../format.js';
import { readStdinText } from '../input.js';
import { metadataFlag } from '../json-flags.js';
import { expiresFlag } from '../expires-flag.js';
import { GRAPH_OPTION, GRAPH_USAGE, STORE_OPTIONS } from '../runtime-config.js';
import { describeScope, SCOPE_OPTIONS, scopeFromFlags } from '../scope-flags.js';
import { withMemory } from '../with-memory.js';

const USAGE = `engram add — remember what was said

Usage:
  engram add <text...> [--no-infer] [--no-wait] [--kind <kind>] [--metadata <json>] [--expires <when>] [--graph] [--json]
  engram add - [...]     read from stdin: plain text (one user message), or a JSON array of
                         {"role": "user" | "assistant" | "system", "content": "...", "createdAt"?: "<iso>"}

  By default the local LLM reads the text and decides, in one call, which facts
  to ADD and which memories it changes (UPDATE), retracts (DELETE) or repeats
  (NONE); add waits for it (on a terminal, stderr shows for how long). With
  --no-wait the text is queued and a worker extracts it later (\`engram worker\`,
  or \`engram serve\` / \`engram mcp\` with an LLM). With --no-infer the text is
  stored as said, with no LLM.

Options:
  --no-infer, --infer=false   store as said (no LLM needed)
  --no-wait, --wait=false     queue the add and return at once: prints the job id (see \`engram jobs show <id>\`);
                              no LLM needed here. --wait (the default) waits for the LLM's decisions
  --kind <kind>               semantic (default), episodic or procedural; with inference, procedural
                              summarizes an agent's run into one memory (needs --agent)
  --metadata <json>           metadata of the new memories, e.g. '{"topic":"health"}'
  --expires <when>            when what this add stores or changes expires: a lifetime (12h, 30d, 6w), a day
                              (2027-01-31: through that day, UTC) or a date-time. Expired memories leave search
                              and list, stay in history and --as-of reads until \`engram purge --expired\`.
                              Without it, the store policy's expireAfterDays applies (\`engram policy\`)
${GRAPH_USAGE},
                              and how they relate (the LLM says so in the same call; --no-infer links the names)
  --json                      print {"results": [{id, memory, event, previousMemory?}], "droppedOperations"};
                              with --no-wait {"jobId", "status": "queued"}

${SCOPE_USAGE}

${STORE_USAGE}

Examples:
  engram add --user alice "I am allergic to penicillin"
  engram add --user alice --no-infer --metadata '{"topic":"health"}' "I take metformin 500 mg twice a day"
  engram add --user alice --no-wait "I moved to Berlin"       # Queued as job 019a… (engram jobs show 019a…)
  engram add --user alice --run trip --expires 30d "We are staying at Hotel Lux
  echo '[{"role":"user","content":"I moved to Berlin"}]' | engram add --user alice -
`;

const BooleanFlagSchema = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EXTRACTING = 'extracting facts with the local LLM…';

export const addCommand = defineCommand({
  name: 'add',
  summary: 'remember a text or messages (the LLM decides what to keep; --no-infer stores as said, --no-wait queues)',
  usage: USAGE,
  options: {
    ...STORE_OPTIONS,
    ...GRAPH_OPTION,
    ...SCOPE_OPTIONS,
    ...JSON_OPTION,
    infer: { type: 'string' },
    wait: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'string' },
    expires: { type: 'string' },
  },
  prepare: (argv) => normalizeBooleanFlag(normalizeBooleanFlag(argv, 'infer'), 'wait'),
  async run({ values, positionals }, io) {
    const infer = values.infer === undefined ? true : flagValue('--infer', BooleanFlagSchema, values.infer);
    const wait = values.wait === undefined ? true : flagValue('--wait', BooleanFlagSchema, values.wait);
    if (!infer && !wait) throw new UsageError('--no-wait queues the work of the LLM; with --no-infer the text is stored at once, so leave --no-wait out');
    const options: AddOptions = {
      ...scopeFromFlags(values, io.env, 'os-user', (user) =>
        errLine(io, `(no --user given: remembering for your OS user "${user}"; choose with --user or ENGRAM_USER_ID)`),
      ),
      infer,
      kind: values.kind === undefined ? undefined : flagValue('--kind', MemoryItemSchema.shape.kind, values.kind),
      metadata: metadataFlag(values.metadata),
      expiresAt: expiresFlag(values.expires, Date.now()) ?? undefined,
    };
    const messages = await messagesFrom(positionals, io);
    return withMemory(
      values,
      io,
      async (memory) => {
        if (!wait) {
          const queued = await memory.add(messages, { ...options, wait: false });
          if (values.json) printJson(io, queued);
          else io.out(`Queued as job ${queued.jobId} (engram jobs show ${queued.jobId})`);
          return EXIT.ok;
        }
        const done = infer ? showElapsed(io.err, EXTRACTING) : () => undefined;
        const outcome = await memory.add(messages, { ...options, wait: true }).finally(done);
        if (values.json) {
          printJson(io, outcome);
          return EXIT.ok;
        }
        if (outcome.results.length === 0) io.out(`Nothing to remember for ${describeScope(options)}.`);
        for (const event of outcome.results) io.out(eventLine(event));
        if (outcome.droppedOperations > 0) io.out(`(${count(outcome.droppedOperations, 'operation')} of the model refused: unknown ids or empty texts)`);
        return EXIT.ok;
      },
      { create: true },
    );
  },
});

async function messagesFrom(positionals: string[], io: CliIo): Promise<string | Message[]> {
  expectPositionals(positionals, { min: 1 }, 'the text to remember (or "-" to read it from stdin)');
  if (positionals.length > 1 || positionals[0] !== '-') return positionals.join(' ');
  const text = await readStdinText(io);
  // Plain text is one user message; JSON (an array of messages, or a string) is read as such.
  if (!/^\s*[[{"]/.test(text)) return text.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`stdin looks like JSON but is not (${(error as Error).message}); send a JSON array of messages, or plain text`);
  }
  if (typeof parsed === 'string') return parsed;
  if (!Array.isArray(parsed)) throw new UsageError('stdin must be plain text or a JSON array of messages, e.g. [{"role":"user","content":"..."}]');
  // Checked here only to name the bad field (Memory.add's message for a string-or-array is vaguer).
  const messages = MessageSchema.array().safeParse(parsed);
  if (!messages.success) {
    const problems = messages.error.issues.map((issue) => `messages.${issue.path.join('.')}: ${issue.message}`);
    throw new EngramError('INVALID_INPUT', `stdin: ${problems.join('; ')}`, { cause: messages.error });
  }
  return messages.data;
}

