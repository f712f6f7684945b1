import { setTimeout as sleep } from 'node:timers/promises';
import type { Llm, LlmRequest } from 'engram-memory';

/**
 * An Llm that turns every new user line of a reconciliation prompt into the
 * fact "Said: <line>", records what it was shown and how many calls ran at
 * once, and holds its answers while `hold()` is on: the queue's tests see
 * which messages went into which call.
 */
export class EchoLlm implements Llm {
  readonly id = 'test/echo';
  readonly requests: LlmRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  /** Holds every call until release(). */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async complete(request: LlmRequest): Promise<string> {
    this.requests.push(request);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate;
      await sleep(5);
      const news = (request.messages.at(-1)?.content ?? '').split('NEW:\n')[1] ?? '';
      const facts = [...news.matchAll(/user: (.*)$/gmu)].map((m) => ({ event: 'ADD', text: `Said: ${m[1]}`, kind: 'semantic' }));
      return JSON.stringify({ operations: facts });
    } finally {
      this.inFlight -= 1;
    }
  }
}
