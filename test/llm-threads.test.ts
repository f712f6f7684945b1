import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLlmThreads } from 'engram-memory';
import { cgroupCpuLimit } from '../src/llm/default-threads.js';
import { resolveRuntimeConfig } from '../src/cli/runtime-config.js';
import { tempDir } from './support/test-memory.js';

describe('LLM threads', () => {
  it('default to the physical cores, never more than the CPUs this process may use', () => {
    expect(defaultLlmThreads(1)).toBe(1);
    expect(defaultLlmThreads(0)).toBe(1);
    // node-llama-cpp's own default is at least 4, whatever the machine: never so here.
    expect(defaultLlmThreads(64)).toBeLessThanOrEqual(availableParallelism());
    expect(defaultLlmThreads(2)).toBeLessThanOrEqual(2);
  });

  it('respect a container CPU quota (cgroup v2 cpu.max)', () => {
    const dir = tempDir();
    const file = (text: string) => {
      const path = join(dir, `cpu.max.${text.replace(/\W/g, '_')}`);
      writeFileSync(path, `${text}\n`);
      return path;
    };
    expect(cgroupCpuLimit(file('max 100000'))).toBeUndefined();
    expect(cgroupCpuLimit(file('150000 100000'))).toBe(1);
    expect(cgroupCpuLimit(file('400000 100000'))).toBe(4);
    expect(cgroupCpuLimit(file('50000 100000'))).toBe(1);
    expect(cgroupCpuLimit(join(dir, 'missing'))).toBeUndefined();
  });

  it('are set by --llm-threads or ENGRAM_LLM_THREADS, with the context size beside them; a bad value names its source', () => {
    expect(resolveRuntimeConfig({}, {})).toMatchObject({ llmThreads: undefined, llmContextSize: undefined });
    expect(resolveRuntimeConfig({}, { ENGRAM_LLM_THREADS: '1', ENGRAM_LLM_CONTEXT: '2048' })).toMatchObject({ llmThreads: 1, llmContextSize: 2048 });
    expect(resolveRuntimeConfig({ 'llm-threads': '3' }, { ENGRAM_LLM_THREADS: '1' })).toMatchObject({ llmThreads: 3 });
    expect(() => resolveRuntimeConfig({}, { ENGRAM_LLM_THREADS: 'many' })).toThrow(/ENGRAM_LLM_THREADS must be a whole number from 1 to 256/);
    expect(() => resolveRuntimeConfig({ 'llm-context': '100' }, {})).toThrow(/--llm-context must be a whole number from 512/);
  });
});

describe('the llama.cpp binary asked for', () => {
  it('is the CPU one everywhere but Apple Silicon, whose only prebuilt binary is Metal', async () => {
    const { llamaGpu } = await import('../src/llm/llama-runtime.js');
    expect(llamaGpu('linux', 'x64')).toBe(false);
    expect(llamaGpu('linux', 'arm64')).toBe(false);
    expect(llamaGpu('win32', 'x64')).toBe(false);
    expect(llamaGpu('darwin', 'x64')).toBe(false);
    expect(llamaGpu('darwin', 'arm64')).toBe('metal');
  });
});
