import type { Scope } from '../schema.js';

/**
 * Serializes work per exact scope within the process: two adds to one scope
 * run one after the other, so the second sees what the first stored (and
 * does not store the same fact again). Different scopes run concurrently.
 */
export class ScopeQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(scope: Scope, work: () => Promise<T>): Promise<T> {
    const key = JSON.stringify([scope.userId ?? null, scope.agentId ?? null, scope.runId ?? null]);
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
