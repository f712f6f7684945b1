import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runMcpCommand } from '../src/cli/mcp-command.js';
import { call, connectInProcess, jsonOf, spawnMcpServer, textOf } from './support/mcp-client.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory, tempDbPath, tempDir, TEST_EMBEDDING_MODEL } from './support/test-memory.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOOLS = ['add_memories', 'delete_all_memories', 'delete_memories', 'delete_memory', 'list_memories', 'search_graph', 'search_memory'];

type StructuredList = { results: { id: string; memory: string; userId?: string; agentId?: string; score?: number }[] };
const structured = (result: { structuredContent?: Record<string, unknown> | undefined }) => result.structuredContent as StructuredList;

/** The JSON text of the OpenMemory-named tools, as OpenMemory writes it (mem0's snake_case). */
type AddJson = { results: { id: string; memory: string; event: string; previous_memory?: string }[] };
type SearchJson = { results: { id: string; memory: string; hash: string; created_at: string; updated_at: string; score: number }[] };
type ListJson = { id: string; memory: string; hash: string; metadata: Record<string, unknown>; created_at: string; updated_at: string; user_id?: string }[];
type DeletedJson = { message: string; deleted: string[]; not_found: string[] };

/** The real server, as a desktop assistant starts it, with no LLM file. */
function serverArgs(db: string, user: string, ...more: string[]): string[] {
  return ['--db', db, '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', join(tempDir(), 'absent.gguf'), '--user', user, ...more];
}

describe('engram mcp over stdio (the real server process)', () => {
  it('lists the seven tools with strict input schemas that have no user_id', async () => {
    const { client } = await spawnMcpServer(serverArgs(tempDbPath(), 'alice'));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.add_memories?.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' }, infer: { type: 'boolean', default: true } },
      required: ['text'],
      additionalProperties: false,
    });
    expect(byName.search_memory?.inputSchema).toMatchObject({ properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query'] });
    expect(byName.list_memories?.inputSchema).toMatchObject({ properties: { limit: { type: 'integer' } } });
    expect(byName.delete_memory?.inputSchema).toMatchObject({ properties: { memory_id: { type: 'string' } }, required: ['memory_id'] });
    expect(byName.delete_memories?.inputSchema).toMatchObject({
      properties: { memory_ids: { type: 'array', items: { type: 'string' }, minItems: 1 } },
      required: ['memory_ids'],
      additionalProperties: false,
    });
    expect(byName.delete_all_memories?.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
    for (const tool of tools) {
      expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('user_id');
      expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('agent_id');
      expect(tool.description?.length).toBeGreaterThan(80);
    }
  });

  it('adds, searches, lists and deletes memories; errors are tool errors and stdout carries only protocol', async () => {
    const { client, stderr, transportErrors } = await spawnMcpServer(serverArgs(tempDbPath(), 'alice'));

    const added = await call(client, 'add_memories', { text: 'I am allergic to penicillin.', infer: false });
    expect(added.isError).toBeFalsy();
    const allergyId = structured(added).results[0]!.id;
    expect(jsonOf<AddJson>(added)).toEqual({ results: [{ id: allergyId, memory: 'I am allergic to penicillin.', event: 'ADD' }] });
    await call(client, 'add_memories', { text: 'My daughter Mia plays the violin.', infer: false });

    const found = await call(client, 'search_memory', { query: 'Which antibiotics must the doctor avoid?', limit: 1 });
    const [hit] = jsonOf<SearchJson>(found).results;
    expect(Object.keys(hit!).sort()).toEqual(['created_at', 'hash', 'id', 'memory', 'score', 'updated_at']);
    expect(hit).toMatchObject({ id: allergyId, memory: 'I am allergic to penicillin.' });
    expect(hit!.score).toBeGreaterThan(0);
    expect(structured(found).results).toMatchObject([{ id: allergyId, memory: 'I am allergic to penicillin.', userId: 'alice' }]);

    const listed = await call(client, 'list_memories');
    expect(structured(listed).results.map((m) => m.memory).sort()).toEqual(['I am allergic to penicillin.', 'My daughter Mia plays the violin.']);
    expect(jsonOf<ListJson>(listed).find((m) => m.id === allergyId)).toMatchObject({ memory: 'I am allergic to penicillin.', user_id: 'alice' });

    const noLlm = await call(client, 'add_memories', { text: 'I switched to green tea.' });
    expect(noLlm.isError).toBe(true);
    expect(textOf(noLlm)).toMatch(/^MODEL_NOT_FOUND: /);
    expect(textOf(noLlm)).toContain('`engram models pull`');
    expect(textOf(noLlm)).toContain('infer: false');

    const unknown = await call(client, 'delete_memory', { memory_id: 'no-such-memory' });
    expect(unknown).toMatchObject({ isError: true });
    expect(textOf(unknown)).toBe('NOT_FOUND: no current memory with id no-such-memory');

    expect(textOf(await call(client, 'delete_memory', { memory_id: allergyId }))).toBe(`Deleted memory ${allergyId}.`);
    expect(textOf(await call(client, 'search_memory', { query: 'penicillin' }))).not.toContain(allergyId);
    const all = await call(client, 'delete_all_memories');
    expect(all.structuredContent).toEqual({ deleted: 1 });
    expect(jsonOf(all)).toEqual({ message: 'Successfully deleted all memories', deleted: 1 });
    expect(jsonOf(await call(client, 'list_memories'))).toEqual([]);

    expect(transportErrors).toEqual([]);
    expect(stderr()).toContain('serving the memories of user "alice"');
  });

  it('keeps each server in its user: bob never sees, finds or deletes alice\'s memories, and cannot ask for them', async () => {
    const db = tempDbPath();
    const alice = await spawnMcpServer(serverArgs(db, 'alice'));
    const added = await call(alice.client, 'add_memories', { text: 'I am allergic to penicillin.', infer: false });
    const aliceMemory = structured(added).results[0]!.id;

    const bob = await spawnMcpServer(serverArgs(db, 'bob'));
    expect(structured(await call(bob.client, 'list_memories')).results).toEqual([]);
    expect(structured(await call(bob.client, 'search_memory', { query: 'penicillin allergy' })).results).toEqual([]);
    expect(textOf(await call(bob.client, 'delete_memory', { memory_id: aliceMemory }))).toMatch(/^NOT_FOUND: /);
    expect(structured(await call(bob.client, 'delete_all_memories'))).toEqual({ deleted: 0 });

    const asAlice = await call(bob.client, 'search_memory', { query: 'penicillin', user_id: 'alice' });
    expect(asAlice.isError).toBe(true);
    expect(textOf(asAlice)).toContain('user_id');
    expect(textOf(asAlice)).not.toContain('penicillin.');
    expect(await call(bob.client, 'list_memories', { user_id: 'alice' })).toMatchObject({ isError: true });

    expect(structured(await call(alice.client, 'list_memories')).results.map((m) => m.id)).toEqual([aliceMemory]);
  });

  it('answers a request written just before stdin closes, prints nothing but JSON-RPC, then exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'mcp', ...serverArgs(tempDbPath(), 'alice')], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_memories', arguments: { text: 'I live in Lyon.', infer: false } } },
    ];
    child.stdin.end(messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    const replies = lines.map((line) => JSON.parse(line) as { jsonrpc: string; id: number; result: { content: { text: string }[] } });
    expect(replies.every((r) => r.jsonrpc === '2.0')).toBe(true);
    expect(replies.map((r) => r.id)).toEqual([1, 2]);
    expect(JSON.parse(replies[1]?.result.content[0]?.text ?? '')).toMatchObject({ results: [{ event: 'ADD', memory: 'I live in Lyon.' }] });
  });

  it('closes the store and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'mcp', ...serverArgs(tempDbPath(), 'alice')], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await expect.poll(() => err, { timeout: 20_000 }).toContain('serving the memories');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(err).not.toMatch(/error/i);
  });
});

describe('engram mcp tools (in-process)', () => {
  it('search_memory takes Memory.search’s threshold, mode and metadata filters, checked by the library', async () => {
    const memory = await openTestMemory();
    await memory.add('I am allergic to penicillin.', { userId: 'alice', infer: false, metadata: { topic: 'health' } });
    await memory.add('I take penicillin-free antibiotics only.', { userId: 'alice', infer: false, metadata: { topic: 'pharmacy' } });
    const client = await connectInProcess(memory, { scope: { userId: 'alice' } });
    const memories = async (args: Record<string, unknown>) => jsonOf<SearchJson>(await call(client, 'search_memory', { query: 'penicillin', ...args })).results.map((m) => m.memory);
    expect(await memories({})).toHaveLength(2);
    expect(await memories({ filters: { topic: 'health' } })).toEqual(['I am allergic to penicillin.']);
    expect(await memories({ mode: 'keyword', filters: { NOT: { topic: 'health' } } })).toEqual(['I take penicillin-free antibiotics only.']);
    expect(await memories({ threshold: 1 })).toEqual([]);
    expect(await call(client, 'search_memory', { query: 'x', threshold: 2 })).toMatchObject({ isError: true });
    expect(textOf(await call(client, 'search_memory', { query: 'x', filters: { topic: { near: 1 } } }))).toMatch(/unknown operator/);
  });

  it('acts only inside the configured agent when one is given', async () => {
    const memory = await openTestMemory();
    await memory.add('I prefer morning runs.', { userId: 'alice', agentId: 'coach', infer: false });
    await memory.add('I like jazz.', { userId: 'alice', agentId: 'dj', infer: false });
    const client = await connectInProcess(memory, { scope: { userId: 'alice', agentId: 'coach' } });

    expect(structured(await call(client, 'list_memories')).results.map((m) => m.memory)).toEqual(['I prefer morning runs.']);
    const added = await call(client, 'add_memories', { text: 'I run 10 km on Sundays.', infer: false });
    expect((await memory.get(structured(added).results[0]!.id))?.agentId).toBe('coach');
    const jazz = (await memory.getAll({ userId: 'alice', agentId: 'dj' })).results[0]!;
    expect(textOf(await call(client, 'delete_memory', { memory_id: jazz.id }))).toMatch(/^NOT_FOUND/);
    expect(structured(await call(client, 'delete_all_memories'))).toEqual({ deleted: 2 });
    expect((await memory.get(jazz.id))?.memory).toBe('I like jazz.');
  });

  it('deletes one memory only inside the call’s scope: another user’s id is NOT_FOUND, as if absent, and stays', async () => {
    const memory = await openTestMemory();
    const [bobs] = (await memory.add('I am allergic to peanuts.', { userId: 'bob', infer: false })).results;
    const fixed = await connectInProcess(memory, { scope: { userId: 'alice' } });
    const open = await connectInProcess(memory, { scope: { userId: 'alice' }, allowScopeOverride: true });

    const refused = await call(fixed, 'delete_memory', { memory_id: bobs!.id });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(`NOT_FOUND: no current memory with id ${bobs!.id}`);
    expect(textOf(await call(open, 'delete_memory', { memory_id: bobs!.id }))).toMatch(/^NOT_FOUND: /);
    expect(await memory.get(bobs!.id)).toMatchObject({ memory: 'I am allergic to peanuts.', userId: 'bob' });

    expect(textOf(await call(open, 'delete_memory', { memory_id: bobs!.id, user_id: 'bob' }))).toBe(`Deleted memory ${bobs!.id}.`);
    expect(await memory.get(bobs!.id)).toBeNull();
  });

  it('accepts user_id and agent_id only with allowScopeOverride', async () => {
    const memory = await openTestMemory();
    await memory.add('I am allergic to peanuts.', { userId: 'bob', infer: false });
    const fixed = await connectInProcess(memory, { scope: { userId: 'alice' } });
    const open = await connectInProcess(memory, { scope: { userId: 'alice' }, allowScopeOverride: true });

    const { tools } = await open.listTools();
    for (const tool of tools) {
      expect(tool.inputSchema.properties).toHaveProperty('user_id');
      expect(tool.inputSchema.properties).toHaveProperty('agent_id');
      expect(tool.inputSchema.required ?? []).not.toContain('user_id');
    }
    expect(structured(await call(open, 'search_memory', { query: 'peanuts', user_id: 'bob' })).results.map((m) => m.memory)).toEqual([
      'I am allergic to peanuts.',
    ]);
    expect(structured(await call(open, 'search_memory', { query: 'peanuts' })).results).toEqual([]);
    expect(await call(fixed, 'search_memory', { query: 'peanuts', user_id: 'bob' })).toMatchObject({ isError: true });
    expect(await call(fixed, 'delete_all_memories', { user_id: 'bob' })).toMatchObject({ isError: true });
    expect((await memory.getAll({ userId: 'bob' })).results).toHaveLength(1);
  });

  it('infers with the configured LLM by default, and names the fix when there is none', async () => {
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Alice is vegetarian.' }));
    const client = await connectInProcess(await openTestMemory({ llm }), { scope: { userId: 'alice' } });
    const added = await call(client, 'add_memories', { text: 'I stopped eating meat last year.' });
    expect(jsonOf(added)).toMatchObject({ results: [{ event: 'ADD', memory: 'Alice is vegetarian.' }] });
    expect(llm.requests).toHaveLength(1);

    const none = await connectInProcess(await openTestMemory({ llm: null }), { scope: { userId: 'alice' } });
    const failed = await call(none, 'add_memories', { text: 'I stopped eating meat last year.' });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/^LLM_NOT_CONFIGURED: /);
    expect(textOf(failed)).toContain('`engram models pull`');
  });

  it('reports bad input as tool errors, with Engram codes, and keeps serving', async () => {
    const client = await connectInProcess(await openTestMemory(), { scope: { userId: 'alice' } });
    expect(await call(client, 'search_memory', { query: 'x', limit: 0 })).toMatchObject({ isError: true });
    expect(await call(client, 'add_memories', { text: 42 })).toMatchObject({ isError: true });
    const blank = await call(client, 'search_memory', { query: '   ' });
    expect(blank.isError).toBe(true);
    expect(textOf(blank)).toMatch(/^INVALID_INPUT: /);
    expect(jsonOf(await call(client, 'search_memory', { query: 'anything' }))).toEqual({ results: [] });
  });

  it('says NONE for a text already stored, and keeps a multi-line memory whole in its JSON', async () => {
    const client = await connectInProcess(await openTestMemory(), { scope: { userId: 'alice' } });
    const first = await call(client, 'add_memories', { text: 'Shopping list:\nmilk\neggs', infer: false });
    const again = await call(client, 'add_memories', { text: 'Shopping list:\nmilk\neggs', infer: false });
    const id = jsonOf<AddJson>(first).results[0]!.id;
    expect(jsonOf(again)).toEqual({ results: [{ id, memory: 'Shopping list:\nmilk\neggs', event: 'NONE' }] });
    expect(jsonOf<ListJson>(await call(client, 'list_memories')).map((m) => m.memory)).toEqual(['Shopping list:\nmilk\neggs']);
  });

  it('delete_memories deletes only the caller’s memories: another user’s ids are reported, not deleted', async () => {
    const memory = await openTestMemory();
    const [bobs] = (await memory.add('I am allergic to peanuts.', { userId: 'bob', infer: false })).results;
    const [tea] = (await memory.add('I drink green tea.', { userId: 'alice', infer: false })).results;
    const [jazz] = (await memory.add('I like jazz.', { userId: 'alice', infer: false })).results;
    const client = await connectInProcess(memory, { scope: { userId: 'alice' } });

    const mixed = await call(client, 'delete_memories', { memory_ids: [tea!.id, bobs!.id, 'no-such-memory', tea!.id] });
    expect(mixed.isError).toBeFalsy();
    expect(jsonOf<DeletedJson>(mixed)).toEqual({ message: 'Successfully deleted 1 memories', deleted: [tea!.id], not_found: [bobs!.id, 'no-such-memory'] });
    expect(mixed.structuredContent).toEqual({ deleted: [tea!.id], notFound: [bobs!.id, 'no-such-memory'] });
    expect(await memory.get(bobs!.id)).toMatchObject({ memory: 'I am allergic to peanuts.', userId: 'bob' });
    expect(await memory.get(tea!.id)).toBeNull();

    const onlyBobs = await call(client, 'delete_memories', { memory_ids: [bobs!.id] });
    expect(onlyBobs.isError).toBe(true);
    expect(textOf(onlyBobs)).toBe(`NOT_FOUND: none of these ids is a current memory of this user: ${bobs!.id}`);
    expect(await memory.get(bobs!.id)).not.toBeNull();
    expect(await memory.get(jazz!.id)).not.toBeNull();

    expect(await call(client, 'delete_memories', { memory_ids: [] })).toMatchObject({ isError: true });
    expect(await call(client, 'delete_memories', { memory_ids: jazz!.id })).toMatchObject({ isError: true });
    expect(await memory.get(jazz!.id)).not.toBeNull();
  });

  it('ignores the keys clients add to arguments and null for optional ones, but refuses a misspelt or scope argument', async () => {
    const memory = await openTestMemory();
    await memory.add('I am allergic to penicillin.', { userId: 'alice', infer: false });
    await memory.add('I like jazz.', { userId: 'alice', infer: false });
    const client = await connectInProcess(memory, { scope: { userId: 'alice' } });

    const clientKeys = { toolCallId: 'call_0BCI', tool_call_description: 'looking it up', _meta: { progressToken: 1 } };
    const found = await call(client, 'search_memory', { query: 'penicillin', limit: null, ...clientKeys });
    expect(found.isError, textOf(found)).toBeFalsy();
    expect(jsonOf<SearchJson>(found).results.map((m) => m.memory)).toContain('I am allergic to penicillin.');
    expect(jsonOf<ListJson>(await call(client, 'list_memories', { limit: null, _trace: 'x' }))).toHaveLength(2);
    const added = await call(client, 'add_memories', { text: 'I live in Lyon.', infer: false, toolCallId: 'call_1' });
    expect(jsonOf(added)).toMatchObject({ results: [{ event: 'ADD' }] });

    const misspelt = await call(client, 'list_memories', { limt: 1 });
    expect(misspelt.isError).toBe(true);
    expect(textOf(misspelt)).toContain('unknown argument "limt" (it takes limit)');
    const noLimit = await call(client, 'search_memory', { query: 'penicillin', top_k: 1 });
    expect(textOf(noLimit)).toContain('unknown argument "top_k" (it takes query, limit, threshold, mode, filters)');
    const otherUser = await call(client, 'delete_all_memories', { user_id: 'bob' });
    expect(textOf(otherUser)).toContain('user_id cannot be chosen');
    // null stays an error where the argument is required.
    expect(await call(client, 'search_memory', { query: null })).toMatchObject({ isError: true });
    expect((await memory.getAll({ userId: 'alice' })).results).toHaveLength(3);
  });

  it('refuses to start with a bad command line (exit 2, usage on stderr, nothing on stdout)', async () => {
    const stdout = new PassThrough();
    let written = '';
    stdout.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const errors: string[] = [];
    const io = { stdin: new PassThrough(), stdout, err: (line: string) => errors.push(line), env: {} };
    expect(await runMcpCommand(['--bogus'], io)).toBe(2);
    expect(await runMcpCommand(['--user', ''], io)).toBe(2);
    expect(await runMcpCommand(['extra'], io)).toBe(2);
    expect(written).toBe('');
    expect(errors.join('\n')).toContain('engram mcp [--user <id>]');
    expect(await runMcpCommand(['--help'], io)).toBe(0);
    expect(written).toContain('--allow-scope-override');
  });
});
