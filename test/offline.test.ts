import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { ScriptedLlm, ops } from './support/scripted-llm.js';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

const TINY_LLM = fileURLToPath(new URL('../models/test/llm.gguf', import.meta.url));

/** Every way out of the machine, replaced by a trap that records and refuses. */
const attempts: string[] = [];
const originals = {
  connect: net.Socket.prototype.connect,
  lookup: dns.lookup,
  promisesLookup: dns.promises.lookup,
  createSocket: dgram.createSocket,
  fetch: globalThis.fetch,
};

beforeAll(() => {
  const refuse = (what: string) => {
    attempts.push(what);
    throw new Error(`network blocked by the offline test: ${what}`);
  };
  net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
    // Local IPC (unix sockets, named pipes) is not the network.
    const target = args[0];
    if (typeof target === 'string' || (typeof target === 'object' && target !== null && 'path' in target)) {
      return originals.connect.apply(this, args as Parameters<typeof originals.connect>);
    }
    return refuse(`tcp ${JSON.stringify(target)}`);
  } as typeof net.Socket.prototype.connect;
  (dns as { lookup: unknown }).lookup = (host: string) => refuse(`dns ${host}`);
  (dns.promises as { lookup: unknown }).lookup = (host: string) => refuse(`dns ${host}`);
  (dgram as { createSocket: unknown }).createSocket = () => refuse('udp');
  globalThis.fetch = (async (input: unknown) => refuse(`fetch ${String(input)}`)) as typeof fetch;
});

afterAll(() => {
  net.Socket.prototype.connect = originals.connect;
  (dns as { lookup: unknown }).lookup = originals.lookup;
  (dns.promises as { lookup: unknown }).lookup = originals.promisesLookup;
  (dgram as { createSocket: unknown }).createSocket = originals.createSocket;
  globalThis.fetch = originals.fetch;
});

describe('nothing leaves the machine', () => {
  it('the trap works', async () => {
    const before = attempts.length;
    await expect(fetch('https://example.org')).rejects.toThrow(/network blocked/);
    expect(() => net.connect(443, 'example.org')).toThrow(/network blocked/);
    expect(attempts.length).toBe(before + 2);
    attempts.length = before;
  });

  it('a full cycle — open, add with and without inference (real llama.cpp), search in every mode, update, delete, forget — makes no connection', async () => {
    const memory = closeAfterTest(
      await Memory.open({ path: tempDbPath(), embedder: { model: TEST_EMBEDDING_MODEL }, llm: { model: TINY_LLM, threads: 1, contextSize: 2048 } }),
    );
    const [fact] = (await memory.add('I am allergic to penicillin.', { userId: 'alice', infer: false })).results;
    await memory.add([{ role: 'user', content: 'I moved to Porto last week.' }], { userId: 'alice' }).catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'LLM_OUTPUT_INVALID') throw e;
    });
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) await memory.search('antibiotics', { userId: 'alice', mode });
    await memory.contextFor('antibiotics', { userId: 'alice' });
    await memory.update(fact!.id, 'I am allergic to penicillin and amoxicillin.');
    await memory.delete(fact!.id);
    await memory.forget({ userId: 'alice' });
    expect(attempts).toEqual([]);
  });

  it('the scripted pipeline makes no connection either', async () => {
    const memory = closeAfterTest(
      await Memory.open({ path: tempDbPath(), embedder: { model: TEST_EMBEDDING_MODEL }, llm: new ScriptedLlm(ops({ event: 'ADD', text: 'Lives in Porto', kind: 'semantic' })) }),
    );
    await memory.add('I moved to Porto.', { userId: 'bob' });
    expect(attempts).toEqual([]);
  });
});
