import type { Llm, LlmRequest } from 'engram-memory';

/** One planned answer: raw text, an object to serialize, a function of the request, or an error to throw. */
export type Script = string | object | ((request: LlmRequest) => string | object | Promise<string | object>) | Error;

/**
 * An Llm that answers from a script, in order, and records every request:
 * a real implementation of the port, so each decision path of the pipeline
 * can be driven and asserted exactly.
 */
export class ScriptedLlm implements Llm {
  readonly id = 'test/scripted';
  readonly requests: LlmRequest[] = [];
  private readonly script: Script[];

  constructor(...script: Script[]) {
    this.script = script;
  }

  /** Queues more answers. */
  plan(...more: Script[]): this {
    this.script.push(...more);
    return this;
  }

  async complete(request: LlmRequest): Promise<string> {
    this.requests.push(request);
    const next = this.script.shift();
    if (next === undefined) throw new Error(`ScriptedLlm: no answer planned for call ${this.requests.length}`);
    if (next instanceof Error) throw next;
    const answer = typeof next === 'function' ? await next(request) : next;
    return typeof answer === 'string' ? answer : JSON.stringify(answer);
  }

  /** The user part of the last prompt: date, candidates, messages. */
  lastPrompt(): string {
    const last = this.requests.at(-1);
    return last?.messages.at(-1)?.content ?? '';
  }
}

/** The operations answer of DESIGN.md. */
export const ops = (...operations: object[]) => ({ operations });
