import { describe, expect, it } from 'vitest';
import { runServeCommand } from '../src/cli/serve-command.js';
import { pageRoutes } from '../src/server/page-routes.js';
import type { ServerContext } from '../src/server/route-table.js';
import { expectError, RestClient, startTestServer } from './support/rest-server.js';
import { TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

// The routes behind the local page: the page itself, and the API calls only it made necessary.

const TOKEN = 'server-page-token-0123456789abcdef';

async function seeded(options: { token?: string } = {}) {
  const started = await startTestServer({ server: options.token ? { token: options.token } : {} });
  const { memory } = started;
  const [coffee] = (await memory.add('Alice drinks coffee black.', { userId: 'alice', infer: false })).results;
  await memory.add('Alice walks Rex at seven.', { userId: 'alice', agentId: 'companion', infer: false });
  await memory.add('Bob keeps his passport in the drawer.', { userId: 'bob', infer: false });
  return { ...started, coffeeId: coffee!.id };
}

describe('the page and its assets', () => {
  it('are served without the token (they hold no memory), with a policy that allows only the page’s own script and style', async () => {
    const { api } = await seeded({ token: TOKEN });
    const page = await fetch(`${api.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    // Every asset comes from this server: no other host is named anywhere in the page.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = await fetch(`${api.url}/ui/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z]/i);
    expect((await fetch(`${api.url}/ui/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Nothing else of the folder, and no memory without the token.
    expect((await api.get('/ui/index.html')).status).toBe(401);
    expectError(await api.get('/scopes'), 401, 'UNAUTHORIZED');
    expectError(await api.post('/'), 401, 'UNAUTHORIZED');
    expectError(await api.with({ authorization: `Bearer ${TOKEN}` }).post('/'), 405, 'METHOD_NOT_ALLOWED');
  });

  it('can be left out (page: false), and a checkout that was not built says so', async () => {
    const { api } = await startTestServer({ server: { page: false } });
    expectError(await api.get('/'), 404, 'ROUTE_NOT_FOUND');
    const [home] = pageRoutes(tempDir());
    await expect(home!.methods.GET!({} as ServerContext)).rejects.toMatchObject({ status: 503, code: 'PAGE_NOT_BUILT', message: expect.stringMatching(/npm run build/) });
  });
});

describe('the API the page uses', () => {
  it('GET /scopes lists users, agents and runs with their counts, a page at a time', async () => {
    const { api } = await seeded();
    const all = await api.get('/scopes');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'user', id: 'alice', memories: 2 }),
        expect.objectContaining({ type: 'user', id: 'bob', memories: 1 }),
        expect.objectContaining({ type: 'agent', id: 'companion', memories: 1 }),
      ]),
    );
    const second = await api.get('/scopes?limit=1&offset=1');
    expect(second.body.results).toHaveLength(1);
    expect(second.body.total).toBe(3);
    expectError(await api.get('/scopes?limit=lots'), 400, 'INVALID_INPUT');
    expectError(await api.get('/scopes?user_id=alice'), 400, 'INVALID_INPUT');
  });

  it('DELETE /scopes forgets one scope for good and says what was erased; it needs a scope', async () => {
    const { api, memory, coffeeId } = await seeded();
    expectError(await api.delete('/scopes'), 400, 'SCOPE_REQUIRED');
    const forgot = await api.delete('/scopes?user_id=alice');
    expect(forgot.status).toBe(200);
    expect(forgot.body.erased).toMatchObject({ memories: 2, messages: 2 });
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
    await expect(memory.history(coffeeId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await memory.getAll({ userId: 'bob' })).results).toHaveLength(1);
  });

  it('GET /export sends one scope as a JSON Lines download that imports; it needs a scope and the token', async () => {
    const { api } = await seeded({ token: TOKEN });
    const authed = api.with({ authorization: `Bearer ${TOKEN}` });
    expectError(await api.get('/export?user_id=alice'), 401, 'UNAUTHORIZED');
    expectError(await authed.get('/export'), 400, 'SCOPE_REQUIRED');
    // A refused scope is a 400 before anything is sent, not a download that breaks.
    expectError(await authed.get('/export?user_id=%00'), 400, 'INVALID_INPUT');
    const response = await fetch(`${api.url}/export?user_id=alice`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="engram-user-alice-\d{4}-\d\d-\d\d\.jsonl"$/);
    const records = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; userId?: string });
    expect(records[0]?.type).toBe('engram');
    expect(records.slice(1).map((r) => r.userId)).toEqual(['alice', 'alice', 'alice', 'alice']);
    // A scope name a file system would not take is made safe in the file name.
    await authed.post('/memories', { messages: 'A run note.', run_id: '../"evil"\r\n', infer: false });
    const odd = await fetch(`${api.url}/export?run_id=${encodeURIComponent('../"evil"\r\n')}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(odd.headers.get('content-disposition')).toMatch(/^attachment; filename="engram-run-_evil_-\d{4}-\d\d-\d\d\.jsonl"$/);
  });

  it('GET /memories/:id/sources gives the messages a memory came from, inside the scope only', async () => {
    const { api, coffeeId } = await seeded();
    const sources = await api.get(`/memories/${coffeeId}/sources?user_id=alice`);
    expect(sources.body.results).toEqual([expect.objectContaining({ role: 'user', content: 'Alice drinks coffee black.', created_at: expect.any(String) })]);
    expectError(await api.get(`/memories/${coffeeId}/sources?user_id=bob`), 404, 'NOT_FOUND');
    expect((await api.get(`/memories/${coffeeId}/sources?as_of=2000-01-01T00:00:00Z`)).body.results).toEqual([]);
    expectError(await api.get(`/memories/${coffeeId}/sources?as_of=yesterday-ish`), 400, 'INVALID_INPUT');
  });

  it('records a change made by a person (changed_by: "user"); nobody can claim to be the model', async () => {
    const { api, memory, coffeeId } = await seeded();
    expect((await api.put(`/memories/${coffeeId}?user_id=alice`, { text: 'Alice drinks coffee with oat milk.', changed_by: 'user', if_version: 1 })).status).toBe(200);
    // A second edit from the same stale read: refused, nothing written.
    expectError(await api.put(`/memories/${coffeeId}?user_id=alice`, { text: 'Alice drinks tea.', changed_by: 'user', if_version: 1 }), 409, 'CONFLICT');
    expectError(await api.put(`/memories/${coffeeId}`, { text: 'Alice drinks tea.', if_version: 'one' }), 400, 'INVALID_INPUT');
    expectError(await api.put(`/memories/${coffeeId}`, { text: 'The model says so.', changed_by: 'llm' }), 400, 'INVALID_INPUT');
    expectError(await api.delete(`/memories/${coffeeId}?changed_by=llm`), 400, 'INVALID_INPUT');
    expectError(await api.delete(`/memories/${coffeeId}?user_id=bob&changed_by=user`), 404, 'NOT_FOUND');
    expectError(await api.delete(`/memories/${coffeeId}?user_id=alice&changed_by=user&if_version=1`), 409, 'CONFLICT');
    expectError(await api.delete(`/memories/${coffeeId}?if_version=two`), 400, 'INVALID_INPUT');
    expect((await api.delete(`/memories/${coffeeId}?user_id=alice&changed_by=user&if_version=2`)).status).toBe(200);
    expect((await memory.history(coffeeId)).map((h) => [h.event, h.actor])).toEqual([
      ['ADD', 'api'],
      ['UPDATE', 'user'],
      ['DELETE', 'user'],
    ]);
  });
});

describe('engram ui', () => {
  it('makes a token for the run and prints a link that carries it after "#"', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const args = ['--db', tempDbPath(), '--embedding-model', TEST_EMBEDDING_MODEL, '--llm-model', 'none.gguf', '--port', '0'];
    const exit = runServeCommand(args, { out: (line) => out.push(line), err: { write: () => true }, env: {}, signal: stop.signal }, 'ui');
    await expect.poll(() => out.length, { timeout: 20_000 }).toBe(2);
    const link = /open (http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]{48}) /.exec(out[1] ?? '');
    expect(link, out.join('\n')).not.toBeNull();
    const [, url, token] = link as unknown as [string, string, string];
    const api = new RestClient(url);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expectError(await api.get('/scopes'), 401, 'UNAUTHORIZED');
    expect((await api.with({ authorization: `Bearer ${token}` }).get('/scopes')).status).toBe(200);
    stop.abort();
    expect(await exit).toBe(0);
  });
});
