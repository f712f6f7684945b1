/**
 * Deterministic pseudo-random numbers for generated model weights.
 *
 * mulberry32 (32-bit state, integer-only arithmetic) gives the same sequence on every
 * platform and Node version. Normals use the Irwin–Hall sum of 12 uniforms instead
 * of Box–Muller so that no transcendental function (whose last bit could differ
 * between libm builds) ever touches the weights: the generated files stay
 * byte-identical everywhere.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform 32-bit unsigned integer: 4 random bytes at once, for bulk random data. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Approximately N(0, std²); tails are cut at ±6·std, harmless for weights. */
  normal(std = 1): number {
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += this.next();
    return (sum - 6) * std;
  }

  fillNormal(target: Float32Array, std: number): Float32Array {
    for (let i = 0; i < target.length; i++) target[i] = this.normal(std);
    return target;
  }
}
