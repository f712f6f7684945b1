/**
 * Which LoCoMo turns (dia_ids) each memory stands for, and back. Retrieval is
 * scored on turns, but search returns memories: a memory deduplicated from
 * two identical turns, or inferred from a chunk of turns, covers several.
 */
export class Provenance {
  private readonly turnsByMemory = new Map<string, Set<string>>();
  private readonly memoriesByTurn = new Map<string, Set<string>>();

  /** Records that `memoryId` stands for these turns (adds to what it already covers). */
  attribute(memoryId: string, diaIds: Iterable<string>): void {
    for (const diaId of diaIds) {
      addTo(this.turnsByMemory, memoryId, diaId);
      addTo(this.memoriesByTurn, diaId, memoryId);
    }
  }

  /** The turns a memory stands for; empty for a memory this run did not create. */
  diaIdsOf(memoryId: string): ReadonlySet<string> {
    return this.turnsByMemory.get(memoryId) ?? EMPTY;
  }

  /** How many turns each memory stands for: 1 as said; with inference, a chunk's worth, which makes evidence recall easier. */
  turnCounts(): number[] {
    return [...this.turnsByMemory.values()].map((turns) => turns.size);
  }

  /** The memories a turn ended up in (one per turn with infer: false; any number with inference). */
  memoriesOf(diaId: string): ReadonlySet<string> {
    return this.memoriesByTurn.get(diaId) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
