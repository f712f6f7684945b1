/** Deterministic, varied English sentences for benchmarks: no two alike, all made of real words. */
const SUBJECTS = ['My sister', 'Our neighbour', 'The doctor', 'My manager', 'Grandpa', 'The coach', 'My friend Sam', 'Our landlord', 'The teacher', 'My son'];
const VERBS = ['recommended', 'mentioned', 'bought', 'cooked', 'painted', 'visited', 'cancelled', 'booked', 'repaired', 'forgot'];
const OBJECTS = ['a red bicycle', 'the dentist appointment', 'a trip to Porto', 'spicy lentil soup', 'the kitchen wall', 'a jazz concert', 'the gym membership', 'a new laptop', 'the garden fence', 'a birthday cake', 'the morning medication', 'a hiking route', 'the tax forms', 'a chess tournament', 'a violin lesson'];
const WHEN = ['on Monday', 'last week', 'in March', 'yesterday', 'after lunch', 'before the holidays', 'every Sunday', 'this morning', 'in the evening', 'during the storm'];

/** A small seeded PRNG (mulberry32) so every run measures the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sentence(i: number, random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  return `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(WHEN)} (note ${i}).`;
}
