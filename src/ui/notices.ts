import { ApiError } from './api.js';
import { byId, fill, h } from './dom.js';

/** The page's two voices: a polite status line, and an alert for what failed (with the API's code). */
export class Notices {
  private readonly status = byId('status');
  private readonly error = byId('error');

  say(text: string): void {
    this.status.textContent = text;
  }

  fail(error: unknown): void {
    const message = error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
    fill(this.error, h('p', {}, message), h('button', { type: 'button', class: 'dismiss', onclick: () => this.clear() }, 'Dismiss'));
    this.error.hidden = false;
  }

  clear(): void {
    this.error.hidden = true;
    this.error.replaceChildren();
  }

  /** Runs an action, showing its failure; resolves to undefined then. */
  async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await action();
      this.clear();
      return result;
    } catch (error) {
      this.fail(error);
      return undefined;
    }
  }
}
