import { z } from 'zod';
import { EngramError } from '../errors.js';
import { describeFailure, EndpointOptionsSchema, endpointUrl, postJson, type EndpointResponse } from '../openai-endpoint.js';
import { validate } from '../validate.js';
import type { Llm, LlmRequest } from './llm.js';

export const OpenAiCompatibleLlmOptionsSchema = EndpointOptionsSchema.extend({
  /**
   * How long one answer may take, connecting included.
   * @default 120000
   */
  timeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
  /**
   * Sampling temperature; 0 picks the likeliest token (what extraction wants).
   * @default 0
   */
  temperature: z.number().min(0).max(2).default(0),
  /**
   * `max_tokens` when a request sets none.
   * @default 1024
   */
  maxTokens: z.number().int().min(16).max(32_768).default(1024),
  /**
   * How the output is constrained. `'json_schema'` sends the request's schema
   * (OpenAI structured outputs: Ollama ≥ 0.5, LM Studio, llama-server);
   * `'json_object'` asks only for JSON; `'none'` sends no `response_format`.
   * A server that answers 400 to `'json_schema'` is asked again with
   * `'json_object'`, and when that works this instance keeps using it.
   * Engram validates the text itself either way.
   * @default 'json_schema'
   */
  responseFormat: z.enum(['json_schema', 'json_object', 'none']).default('json_schema'),
});
/** The options of `new OpenAiCompatibleLlm(...)`. */
export type OpenAiCompatibleLlmOptions = z.input<typeof OpenAiCompatibleLlmOptionsSchema>;
type Format = z.output<typeof OpenAiCompatibleLlmOptionsSchema>['responseFormat'];

/** The part of a chat completion Engram reads. */
const ChoiceSchema = z.object({ message: z.object({ content: z.string() }) });
const CompletionSchema = z.object({ choices: z.tuple([ChoiceSchema], ChoiceSchema) });

/**
 * An Llm served by an OpenAI-compatible server on this machine (Ollama, LM
 * Studio, llama.cpp's llama-server), over `POST {baseUrl}/chat/completions`.
 * Only loopback addresses are accepted unless `allowRemote` is set.
 *
 * @example
 * const llm = new OpenAiCompatibleLlm({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5:7b-instruct' });
 * const memory = await Memory.open({ path: 'memory.db', llm });
 */
export class OpenAiCompatibleLlm implements Llm {
  readonly id: string;
  private readonly options: z.output<typeof OpenAiCompatibleLlmOptionsSchema>;
  private readonly url: URL;
  private format: Format;

  /** Checks the options (INVALID_INPUT for a bad or remote URL); nothing is sent until `complete`. */
  constructor(options: OpenAiCompatibleLlmOptions) {
    this.options = validate(OpenAiCompatibleLlmOptionsSchema, options, 'llm');
    this.url = endpointUrl(this.options.baseUrl, 'chat/completions', this.options.allowRemote, 'the LLM');
    this.format = this.options.responseFormat;
    this.id = `openai-compatible:${this.options.model}@${this.url.host}`;
  }

  /** The `response_format` this instance sends now (`'json_object'` after a fallback). */
  get responseFormat(): Format {
    return this.format;
  }

  async complete(request: LlmRequest): Promise<string> {
    let response = await this.send(request, this.format);
    if (response.status === 400 && this.format === 'json_schema') {
      // Older servers refuse structured outputs; JSON mode is the next best constraint.
      const retry = await this.send(request, 'json_object');
      if (isSuccess(retry)) {
        this.format = 'json_object';
        response = retry;
      }
      // Otherwise the 400 was about something else: report it, and keep asking with the schema.
    }
    if (!isSuccess(response)) {
      throw new EngramError('LLM_FAILED', `the LLM server at ${this.url.href} refused the request (${describeFailure(response)}); check that model "${this.options.model}" is available there`, {
        details: { status: response.status },
      });
    }
    const completion = CompletionSchema.safeParse(response.json);
    if (!completion.success) {
      throw new EngramError('LLM_OUTPUT_INVALID', `the LLM server at ${this.url.href} answered without choices[0].message.content; nothing was stored`, {
        cause: completion.error,
        details: { output: response.text.slice(0, 2_000) },
      });
    }
    return completion.data.choices[0].message.content;
  }

  private send(request: LlmRequest, format: Format): Promise<EndpointResponse> {
    const body = {
      model: this.options.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
      temperature: this.options.temperature,
      max_tokens: request.maxTokens ?? this.options.maxTokens,
      stream: false,
      ...responseFormat(format, request),
    };
    return postJson(this.url, body, { apiKey: this.options.apiKey, timeoutMs: this.options.timeoutMs, code: 'LLM_FAILED', what: 'the LLM server' });
  }
}

function responseFormat(format: Format, request: LlmRequest): { response_format?: object } {
  if (format === 'none') return {};
  if (format === 'json_object') return { response_format: { type: 'json_object' } };
  return { response_format: { type: 'json_schema', json_schema: { name: 'engram_output', schema: request.schema, strict: true } } };
}

function isSuccess(response: EndpointResponse): boolean {
  return response.status >= 200 && response.status < 300;
}
