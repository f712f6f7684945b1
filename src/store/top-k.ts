/** A slot (an index position) and its score. */
export type SlotScore = { slot: number; score: number };

/** The k highest-scoring slots, best first (ties: lower slot first), by a bounded min-heap. */
export function topK(slots: readonly number[], scores: Float64Array | Float32Array, k: number): SlotScore[] {
  const heap: SlotScore[] = [];
  // Worse-first order: lower score, or the same score and a higher slot.
  const worse = (a: SlotScore, b: SlotScore) => a.score < b.score || (a.score === b.score && a.slot > b.slot);
  for (const slot of slots) {
    const entry = { slot, score: scores[slot] as number };
    if (heap.length < k) {
      heap.push(entry);
      siftUp(heap, heap.length - 1, worse);
    } else if (worse(heap[0] as SlotScore, entry)) {
      heap[0] = entry;
      siftDown(heap, 0, worse);
    }
  }
  return heap.sort((a, b) => b.score - a.score || a.slot - b.slot);
}

function siftUp<T>(heap: T[], i: number, worse: (a: T, b: T) => boolean): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(heap[i] as T, heap[parent] as T)) return;
    [heap[i], heap[parent]] = [heap[parent] as T, heap[i] as T];
    i = parent;
  }
}

function siftDown<T>(heap: T[], i: number, worse: (a: T, b: T) => boolean): void {
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let least = i;
    if (left < heap.length && worse(heap[left] as T, heap[least] as T)) least = left;
    if (right < heap.length && worse(heap[right] as T, heap[least] as T)) least = right;
    if (least === i) return;
    [heap[i], heap[least]] = [heap[least] as T, heap[i] as T];
    i = least;
  }
}
