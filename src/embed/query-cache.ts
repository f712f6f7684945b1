/** A small LRU of query embeddings: assistants often search the same text again within a turn. */
export class QueryCache {
  private readonly entries = new Map<string, Float32Array>();

  constructor(private readonly capacity: number = 256) {}

  get(text: string): Float32Array | undefined {
    const hit = this.entries.get(text);
    if (hit) {
      this.entries.delete(text);
      this.entries.set(text, hit);
    }
    return hit;
  }

  set(text: string, vector: Float32Array): void {
    this.entries.delete(text);
    this.entries.set(text, vector);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
