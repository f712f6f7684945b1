import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ChatHistoryItem, GbnfJsonSchema, LlamaChat, LlamaContext, LlamaContextSequence, LlamaGrammar } from 'node-llama-cpp';
import { EngramError } from '../errors.js';
import type { ChatMessage, JsonSchema, Llm, LlmRequest } from './llm.js';
import { defaultLlmThreads } from './default-threads.js';
import { acquireModel, llamaRuntime, nodeLlamaCpp, releaseModel } from './llama-runtime.js';

export type LlamaCppLlmOptions = {
  /** Path of a GGUF file. */
  model: string;
  /** Tokens of context (prompt + output). @default 4096 */
  contextSize?: number | undefined;
  /** CPU threads for evaluation. @default the physical cores this process may use (see default-threads.ts) */
  threads?: number | undefined;
  /** Upper bound on generated tokens per call. @default 512 */
  maxTokens?: number | undefined;
  /** Sampling temperature; 0 always picks the likeliest token. @default 0 */
  temperature?: number | undefined;
  /** Seed for sampling when temperature > 0 (reproducible runs, e.g. fuzzing). */
  seed?: number | undefined;
};

/** What the model did so far; the bench reads it. */
export type LlmUsage = {
  calls: number;
  /** Prompt tokens actually evaluated (a prefix cached from the previous call is not evaluated again). */
  evaluatedPromptTokens: number;
  /** Prompt tokens in all (as if nothing were cached). */
  promptTokens: number;
  generatedTokens: number;
};

type Session = { context: LlamaContext; sequence: LlamaContextSequence; chat: LlamaChat };

/**
 * An Llm running a local GGUF model with llama.cpp (node-llama-cpp). The model
 * is loaded on the first call and shared by every LlamaCppLlm of the process;
 * each instance keeps its own context sequence, so the fixed start of its
 * prompts (instructions, examples) is evaluated once and reused. Output is
 * constrained by a grammar built from the request's JSON schema, at
 * temperature 0 unless configured otherwise.
 */
export class LlamaCppLlm implements Llm {
  readonly id: string;
  readonly usage: LlmUsage = { calls: 0, evaluatedPromptTokens: 0, promptTokens: 0, generatedTokens: 0 };
  private readonly path: string;
  private readonly contextSize: number;
  private readonly configuredThreads: number | undefined;
  private readonly maxTokens: number;
  private readonly temperature: number;
  private readonly seed: number | undefined;
  private session: Promise<Session> | undefined;
  private threadsUsed: number | undefined;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(options: LlamaCppLlmOptions) {
    this.path = resolve(options.model);
    this.id = basename(this.path);
    this.contextSize = options.contextSize ?? 4096;
    this.configuredThreads = options.threads;
    this.maxTokens = options.maxTokens ?? 512;
    this.temperature = options.temperature ?? 0;
    this.seed = options.seed;
  }

  /** The CPU threads the model runs with, once it is loaded (the configured number, or the default for this machine). */
  get threads(): number | undefined {
    return this.threadsUsed;
  }

  /** Whether the GGUF file is there (it is only read at the first call). */
  hasModelFile(): boolean {
    return existsSync(this.path);
  }

  /** Fails with MODEL_NOT_FOUND now rather than at the first call. */
  assertModelFile(): void {
    if (!existsSync(this.path)) {
      throw new EngramError(
        'MODEL_NOT_FOUND',
        `no LLM at ${this.path}; download one with \`engram models pull\`, pass llm: { model: '<file.gguf>' }, or add with { infer: false }`,
        { hint: 'llm-model', details: { file: this.path } },
      );
    }
  }

  complete(request: LlmRequest): Promise<string> {
    // One sequence generates one answer at a time: calls queue up.
    const run = this.queue.then(() => this.generate(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    const session = await this.session?.catch(() => undefined);
    if (session) {
      session.chat.dispose();
      await session.context.dispose();
      await releaseModel(this.path);
    }
    this.session = undefined;
  }

  private async generate(request: LlmRequest): Promise<string> {
    if (this.disposed) throw new EngramError('CLOSED', 'this LLM was released; open the Memory again');
    const session = await this.open();
    const grammar = await this.grammar(request.schema);
    const before = session.sequence.tokenMeter.getState();
    try {
      const { response } = await session.chat.generateResponse(toHistory(request.messages), {
        grammar,
        temperature: this.temperature,
        ...(this.seed === undefined ? {} : { seed: this.seed + this.usage.calls }),
        maxTokens: request.maxTokens ?? this.maxTokens,
      });
      const after = session.sequence.tokenMeter.getState();
      const generated = after.usedOutputTokens - before.usedOutputTokens;
      this.usage.calls += 1;
      this.usage.evaluatedPromptTokens += after.usedInputTokens - before.usedInputTokens;
      this.usage.generatedTokens += generated;
      this.usage.promptTokens += Math.max(0, session.sequence.nextTokenIndex - generated);
      return response;
    } catch (error) {
      throw new EngramError('LLM_FAILED', `the LLM ${this.id} failed while generating: ${String(error)}`, { cause: error });
    }
  }

  private open(): Promise<Session> {
    this.session ??= this.createSession().catch((error: unknown) => {
      this.session = undefined;
      throw error;
    });
    return this.session;
  }

  private async createSession(): Promise<Session> {
    this.assertModelFile();
    try {
      const { LlamaChat } = await nodeLlamaCpp();
      const model = await acquireModel(this.path);
      try {
        const llama = await llamaRuntime();
        const threads = this.configuredThreads ?? defaultLlmThreads(llama.cpuMathCores);
        const context = await model.createContext({ contextSize: this.contextSize, threads });
        this.threadsUsed = threads;
        const sequence = context.getSequence();
        return { context, sequence, chat: new LlamaChat({ contextSequence: sequence }) };
      } catch (error) {
        await releaseModel(this.path);
        throw error;
      }
    } catch (error) {
      throw new EngramError('MODEL_LOAD_FAILED', `could not load the LLM at ${this.path}: ${String(error)}`, { cause: error });
    }
  }

  private grammar(schema: JsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = llamaRuntime().then((llama) => llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema as unknown as GbnfJsonSchema));
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
    }
    return grammar;
  }
}

/** Chat messages as node-llama-cpp's history, ending with the empty model turn to complete. */
function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    if (m.role === 'system') return { type: 'system', text: m.content };
    if (m.role === 'user') return { type: 'user', text: m.content };
    return { type: 'model', response: [m.content] };
  });
  history.push({ type: 'model', response: [] });
  return history;
}
