import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { Memory, TransformersEmbedder, type MemoryOptions } from 'engram-memory';

/** The generated test embedding model (scripts/make-test-models.ts). */
export const TEST_EMBEDDING_MODEL = fileURLToPath(new URL('../../models/test/embedding', import.meta.url));

/** The generated test cross-encoder, random weights (scripts/make-test-models.ts). */
export const TEST_RERANKER_MODEL = fileURLToPath(new URL('../../models/test/reranker', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh folder removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'engram-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A path for a database file that does not exist yet, removed after the test. */
export function tempDbPath(): string {
  return join(tempDir(), 'memory.db');
}

let shared: TransformersEmbedder | undefined;
/** One loaded generated embedder per test process: loading the model for every test is most of a test's time. */
export function testEmbedder(): TransformersEmbedder {
  shared ??= new TransformersEmbedder({ model: TEST_EMBEDDING_MODEL });
  return shared;
}

/** Opens a Memory on a temp file with the generated embedder; closed after the test. */
export async function openTestMemory(options: Partial<MemoryOptions> = {}): Promise<Memory> {
  const memory = await Memory.open({ path: tempDbPath(), embedder: testEmbedder(), ...options });
  cleanups.push(() => memory.close());
  return memory;
}

/** Registers something to close after the test. */
export function closeAfterTest(memory: Memory): Memory {
  cleanups.push(() => memory.close());
  return memory;
}
