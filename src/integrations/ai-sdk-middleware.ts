import type { LanguageModelMiddleware } from 'ai';
import { z } from 'zod';
import { ScopeSchema, type AddOptions, type ContextOptions, type Memory, type Message } from '../index.js';
import { callback, parseOptions, passThrough, requireScope, storableText } from './integration-options.js';

// The AI SDK's model-call types, as its middleware type names them (the `ai` package does not export them itself).
type CallOptions = Parameters<NonNullable<LanguageModelMiddleware['transformParams']>>[0]['params'];
type PromptMessage = CallOptions['prompt'][number];
type GenerateResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapGenerate']>>>;
type StreamResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapStream']>>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;
type FinishReason = GenerateResult['finishReason'];

export const EngramMiddlewareOptionsSchema = ScopeSchema.extend({
  /** Put the memories that best answer the last user message into the prompt, as a system message. @default true */
  recall: z.boolean().default(true),
  /** How the memories are chosen and formatted: Memory.contextFor's options (maxTokens, limit, threshold, filters, header…). */
  context: passThrough<ContextOptions>('context').default({}),
  /** Store each finished turn (the last user message and the answer) with Memory.add, after the answer. @default true */
  remember: z.boolean().default(true),
  /**
   * Memory.add's options for the stored turn (infer, wait, metadata, kind). `infer` defaults to Memory's
   * default (true: the local LLM extracts facts); `wait: false` queues the add for a queue worker.
   */
  add: passThrough<AddOptions>('add').default({}),
  /** Called with every error of storing a turn; without it those errors are dropped (the answer never fails for them). */
  onError: callback<(error: unknown) => void>('onError').optional(),
});
export type EngramMiddlewareOptions = z.input<typeof EngramMiddlewareOptionsSchema>;

/** The middleware, and a way to wait for the turns it is still storing. */
export type EngramMiddleware = LanguageModelMiddleware & {
  /** Resolves when every turn stored so far is stored (or failed, reported to onError); never rejects. */
  settled(): Promise<void>;
};

/** Only a finished answer is a turn: a step that ends in tool calls is followed by the step that answers. */
const ANSWERED = new Set(['stop', 'length']);

/**
 * A language-model middleware (for `wrapLanguageModel`) that gives a model
 * long-term memory in one scope: before each call it puts the memories that
 * best answer the last user message into the prompt; after the answer
 * (for a stream, once it has finished) it stores the turn with `memory.add`,
 * in the background: storing never delays or fails the answer.
 *
 * A turn is the last user message and the answer's text, once the model has
 * answered (finish reason stop or length: in a tool loop, the last step).
 * Texts are taken as far as Engram can store them (NUL characters dropped,
 * cut at LIMITS.maxTextLength), so what a user types never fails a call.
 * Recall errors (a closed Memory, bad context options) fail the call before
 * the model runs; errors of storing a turn go to `onError`.
 * @default recall true, remember true, add: Memory.add's defaults
 * @example
 * const model = wrapLanguageModel({ model: yourModel, middleware: engramMiddleware(memory, { userId: 'alice' }) });
 * const { text } = await generateText({ model, prompt: 'What should I cook tonight?' });
 */
export function engramMiddleware(memory: Pick<Memory, 'contextFor' | 'add'>, options: EngramMiddlewareOptions): EngramMiddleware {
  const opts = parseOptions(EngramMiddlewareOptionsSchema, options, 'options');
  const scope = requireScope(opts, 'engramMiddleware');
  const inFlight = new Set<Promise<void>>();

  const remember = (prompt: readonly PromptMessage[], said: string, finish: FinishReason | undefined): void => {
    const question = lastUserText(prompt);
    const answer = storableText(said);
    if (!opts.remember || question === undefined || answer.trim() === '' || !ANSWERED.has(finish?.unified ?? '')) return;
    const turn: Message[] = [
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ];
    const stored = Promise.resolve()
      .then(() => memory.add(turn, { ...opts.add, ...scope }))
      .then(
        () => undefined,
        (error: unknown) => opts.onError?.(error),
      )
      // A throwing onError must not become an unhandled rejection either.
      .catch(() => undefined)
      .finally(() => inFlight.delete(stored));
    inFlight.add(stored);
  };

  return {
    specificationVersion: 'v4',
    async transformParams({ params }) {
      const question = opts.recall ? lastUserText(params.prompt) : undefined;
      if (question === undefined) return params;
      const { text, memories } = await memory.contextFor(question, { ...opts.context, ...scope });
      if (memories.length === 0) return params;
      return { ...params, prompt: withSystemMessage(params.prompt, text) };
    },
    async wrapGenerate({ doGenerate, params }) {
      const result = await doGenerate();
      const answer = result.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
      remember(params.prompt, answer, result.finishReason);
      return result;
    },
    async wrapStream({ doStream, params }) {
      const { stream, ...rest } = await doStream();
      let answer = '';
      let finish: FinishReason | undefined;
      // flush runs once the model's stream has ended and every part has passed on; a cancelled stream stores nothing.
      const watch = new TransformStream<StreamPart, StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta') answer += part.delta;
          else if (part.type === 'finish') finish = part.finishReason;
          controller.enqueue(part);
        },
        flush() {
          remember(params.prompt, answer, finish);
        },
      });
      return { ...rest, stream: stream.pipeThrough(watch) };
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/** The text of the last user message of a prompt (its text parts), or undefined when it has none. */
function lastUserText(prompt: readonly PromptMessage[]): string | undefined {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i] as PromptMessage;
    if (message.role !== 'user') continue;
    const text = storableText(message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n'));
    return text.trim() === '' ? undefined : text;
  }
  return undefined;
}

/** The prompt with `text` as a system message after its leading system messages (providers refuse system messages later on). */
function withSystemMessage(prompt: CallOptions['prompt'], text: string): CallOptions['prompt'] {
  const at = prompt.findIndex((message) => message.role !== 'system');
  const index = at === -1 ? prompt.length : at;
  return [...prompt.slice(0, index), { role: 'system', content: text }, ...prompt.slice(index)];
}
