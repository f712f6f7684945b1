import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * How many threads llama.cpp should use when none is configured: the cores
 * that are useful for math (llama.cpp counts physical cores, without SMT
 * siblings or efficiency cores), but never more than this process may run on
 * (its CPU affinity, and a container's CPU quota). llama.cpp gets slower, not
 * faster, with more threads than cores: node-llama-cpp's own default of at
 * least 4 took an inferring add on a 2-core laptop from ~1.5 s to 62 s.
 */
export function defaultLlmThreads(mathCores: number): number {
  return Math.max(1, Math.min(mathCores, availableParallelism(), cgroupCpuLimit() ?? Number.POSITIVE_INFINITY));
}

/** A cgroup v2 CPU quota (`/sys/fs/cgroup/cpu.max`: "<quota> <period>") in whole CPUs, if one is set. */
export function cgroupCpuLimit(file = '/sys/fs/cgroup/cpu.max'): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return undefined;
  const cpus = Number(quota) / Number(period);
  return Number.isFinite(cpus) && cpus > 0 ? Math.max(1, Math.floor(cpus)) : undefined;
}
