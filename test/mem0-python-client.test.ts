import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './support/rest-server.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';

/**
 * Mem0's Python `MemoryClient` cannot run here (no Python mem0 package); its
 * requests were recorded from its sources (test/fixtures/mem0-python-client.json,
 * with the commit read). Each is replayed against `engram serve`: every route
 * it calls exists, and answers what the client reads — or, where Engram cannot
 * honour the request, a 400 whose `detail` the client shows.
 */

type Recorded = {
  method_name: string;
  http_method: string | null;
  path: string | null;
  query?: Record<string, string>;
  body: unknown;
};

const TOKEN = 'engram-test-token-0123456789abcdef';
const FIXTURE_IDS = ['1f0e8c5a-7b2d-4c3e-9a41-5d6b7c8e9f01', '7c2d9e10-4a5b-4f6c-8d7e-9f0a1b2c3d4e'];
const recorded = (JSON.parse(readFileSync(new URL('./fixtures/mem0-python-client.json', import.meta.url), 'utf8')) as Recorded[]).filter(
  (r) => r.http_method !== null && ['GET', 'POST', 'PUT', 'DELETE'].includes(r.http_method) && r.path?.startsWith('/') === true && !r.path.includes('{'),
);

/** Why Engram answers 400 to a recorded request, or undefined when it serves it. */
function refusal(r: Recorded): RegExp | undefined {
  const text = JSON.stringify({ query: r.query, body: r.body });
  if (text.includes('"OR"')) return /one scope/;
  if (r.query?.filters !== undefined) return /filters/;
  if (r.http_method === 'PUT' && text.includes('"timestamp"')) return /timestamp/;
  if (r.http_method === 'DELETE' && r.path === '/v1/memories/' && Object.keys(r.query ?? {}).length === 0) return /user_id/;
  return undefined;
}

describe("Mem0's Python client, by its recorded requests", () => {
  it('the fixture holds the memory methods the client has', () => {
    const names = new Set(recorded.map((r) => r.method_name));
    for (const name of ['add', 'get', 'get_all', 'search', 'update', 'delete', 'delete_all', 'history', 'users', 'delete_users', 'batch_update', 'batch_delete']) {
      expect(names).toContain(name);
    }
  });

  it.each(recorded.map((r, i) => [`${i} ${r.method_name} ${r.http_method} ${r.path} ${JSON.stringify(r.query ?? {})}`, r] as const))('%s', async (_, r) => {
    // Inferring adds (the client's default) get a scripted model: queued, or answered when async_mode is false.
    const llm = new ScriptedLlm(ops({ event: 'ADD', text: 'Fay likes aisle seats.', kind: 'semantic' }));
    const { server, memory } = await startTestServer({ memory: { llm }, server: { token: TOKEN } });
    const { results } = await memory.add(
      [
        { role: 'user', content: 'I love sushi.' },
        { role: 'user', content: 'I prefer window seats.' },
      ],
      { userId: 'fay', agentId: 'travel-bot', infer: false },
    );
    const swap = (text: string) => FIXTURE_IDS.reduce((t, id, i) => t.replaceAll(id, results[i]?.id ?? id), text);
    const url = new URL(swap(r.path as string), server.url);
    for (const [key, value] of Object.entries(r.query ?? {})) url.searchParams.set(key, value);
    const reply = await fetch(url, {
      method: r.http_method as string,
      headers: { authorization: `Token ${TOKEN}`, 'mem0-user-id': 'd41d8cd98f00b204e9800998ecf8427e', 'content-type': 'application/json' },
      ...(r.body === null || r.body === undefined ? {} : { body: swap(JSON.stringify(r.body)) }),
    });
    const body = (await reply.json()) as Record<string, unknown>;
    const refused = refusal(r);
    if (refused) {
      expect(reply.status).toBe(400);
      expect(body.detail).toMatch(refused);
      return;
    }
    expect(reply.status, JSON.stringify(body)).toBe(200);
    if (r.path === '/v1/ping/') {
      // The client's constructor builds a Project and fails unless both are non-empty.
      expect(body).toMatchObject({ status: 'ok', org_id: expect.stringMatching(/.+/), project_id: expect.stringMatching(/.+/) });
    }
    if (r.path === '/v1/entities/') expect(body.results).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'user', name: 'fay' })]));
    if (r.path?.startsWith('/v3/memories/search')) expect(Array.isArray(body.results)).toBe(true);
    if (r.path === '/v3/memories/') expect(body).toMatchObject({ count: expect.any(Number), results: expect.any(Array) });
  });
});
