import type { Storage } from '../storage/storage.js';
import { readPolicy } from './store-policy.js';

/** How long a policy read decides whether searches mark use: another process's change to trackAccess takes effect within it. */
const POLICY_READ_EVERY_MS = 5_000;

/**
 * Marks the memories searches return as used, when the store's policy has
 * `trackAccess`. After the answer, not in it: a search never waits for a
 * write. Uses noted while a write is under way go in the next one, so a busy
 * process writes once per batch of searches, not once per search. Best
 * effort: a write that fails (a locked or full store) loses those marks and
 * nothing else.
 */
export class UseRecorder {
  /** Memory id → when it was last returned, not yet written. */
  private readonly pending = new Map<string, number>();
  private writing: Promise<void> | undefined;
  /** Whether the store's policy tracks use, as last read: a search off the policy costs no read at all. */
  private tracking: { on: boolean; readAt: number } | undefined;

  constructor(private readonly storage: Storage) {}

  note(ids: readonly string[], at: number): void {
    if (ids.length === 0 || this.knownOff()) return;
    for (const id of ids) this.pending.set(id, Math.max(at, this.pending.get(id) ?? 0));
    this.schedule();
  }

  /** The policy changed in this process: read it again before the next mark. */
  policyChanged(): void {
    this.tracking = undefined;
  }

  /** Waits until every use noted so far is written (or given up). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private schedule(): void {
    if (this.writing || this.pending.size === 0) return;
    this.writing = this.write()
      .catch(() => undefined)
      .finally(() => {
        this.writing = undefined;
        this.schedule();
      });
  }

  private knownOff(): boolean {
    return this.tracking !== undefined && !this.tracking.on && Date.now() - this.tracking.readAt < POLICY_READ_EVERY_MS;
  }

  private async write(): Promise<void> {
    const batch = new Map(this.pending);
    this.pending.clear();
    // Read again after a while: another process may have changed the policy.
    if (this.tracking === undefined || Date.now() - this.tracking.readAt >= POLICY_READ_EVERY_MS) {
      const readAt = Date.now();
      const policy = await this.storage.transaction('read', 'reading the policy', (tx) => readPolicy(tx));
      this.tracking = { on: policy?.trackAccess === true, readAt };
    }
    if (!this.tracking.on) return;
    const at = Math.max(...batch.values());
    await this.storage.transaction('write', 'recording which memories were used', (tx) => tx.recordAccess([...batch.keys()], at));
  }
}
