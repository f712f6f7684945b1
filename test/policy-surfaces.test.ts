import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engram } from './support/engram-cli.js';
import { expectError, startTestServer } from './support/rest-server.js';
import { TEST_EMBEDDING_MODEL, tempDbPath, tempDir } from './support/test-memory.js';

// The store's policy from the CLI and over REST; MCP clients need nothing: the store applies it.

describe('engram policy', () => {
  it('sets a policy from a file or stdin, shows it, clears it; an add as said is redacted by it', async () => {
    const db = tempDbPath();
    const env = { ENGRAM_DB: db, ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL };
    // Reading a store that does not exist creates nothing; setting a policy may come first and creates it.
    expect((await engram(['policy'], { env })).code).toBe(1);
    expect((await engram(['policy', 'clear'], { env })).code).toBe(1);
    const file = join(tempDir(), 'policy.json');
    writeFileSync(file, JSON.stringify({ instructions: 'Keep doses exact.', deny: ['card-number'] }));
    expect((await engram(['policy', 'set', file], { env })).code).toBe(0);
    expect((await engram(['policy', 'show', '--json'], { env })).json()).toEqual({ policy: { instructions: 'Keep doses exact.', deny: ['card-number'] } });
    const added = await engram(['add', '--user', 'ana', '--no-infer', '--json', 'My card is 4111 1111 1111 1111.'], { env });
    expect(added.stdout).toContain('My card is [redacted: card-number].');
    expect(added.stdout).not.toContain('4111');
    const bad = await engram(['policy', 'set', '-'], { env, stdin: '{"deny": ["passport"]}' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_INPUT|built-in rule/);
    expect((await engram(['policy', 'set', '-'], { env, stdin: 'not json' })).code).toBe(1);
    expect((await engram(['policy', 'set'], { env })).code).toBe(2);
    expect((await engram(['policy', 'show', '--json'], { env })).json()).toEqual({ policy: { instructions: 'Keep doses exact.', deny: ['card-number'] } });
    expect((await engram(['policy', 'clear'], { env })).stdout).toMatch(/removed/);
    expect((await engram(['policy', '--json'], { env })).json()).toEqual({ policy: null });
    expect((await engram(['policy'], { env })).stdout).toMatch(/No policy/);
  });
});

describe('REST /policy', () => {
  it('reads, sets (Mem0’s custom_instructions too) and removes the policy; bad ones are 400 and change nothing', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    expect((await api.get('/policy')).body).toEqual({ policy: null });
    const set = await api.put('/policy', { custom_instructions: 'A companion for patients.', includes: ['medications'], deny: ['iban', { name: 'ins', pattern: 'INS-\\d{6}' }] });
    expect(set.status).toBe(200);
    expect(set.body.policy).toEqual({ instructions: 'A companion for patients.', includes: ['medications'], deny: ['iban', { name: 'ins', pattern: 'INS-\\d{6}' }] });
    expectError(await api.put('/policy', { instructions: 'a', custom_instructions: 'b' }), 400, 'INVALID_INPUT');
    expectError(await api.put('/policy', { deny: [{ name: 'x', pattern: '(' }] }), 400, 'INVALID_INPUT');
    expectError(await api.put('/policy', { forbid: ['iban'] }), 400, 'INVALID_INPUT');
    expect((await memory.policy())?.instructions).toBe('A companion for patients.');
    const added = await api.post('/memories', { messages: 'Insurance INS-123456, IBAN DE89 3704 0044 0532 0130 00.', user_id: 'ana', infer: false });
    expect(added.body.results[0].memory).toBe('Insurance [redacted: ins], IBAN [redacted: iban].');
    expect((await api.delete('/policy')).body).toEqual({ policy: null });
    expect(await memory.policy()).toBeNull();
  });

  it('Mem0’s categories filter reads the categories a policy files facts under', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    await memory.add('Takes metformin', { userId: 'ana', infer: false, metadata: { categories: ['health'] } });
    await memory.add('Works night shifts', { userId: 'ana', infer: false, metadata: { categories: ['work', 'health'] } });
    await memory.add('Plans a trip to Porto', { userId: 'ana', infer: false, metadata: { categories: ['plans'] } });
    const texts = (reply: { body: { results: { memory: string }[] } }) => reply.body.results.map((m) => m.memory).sort();
    expect(texts(await api.post('/v3/memories/', { filters: { user_id: 'ana', categories: { in: ['work', 'plans'] } } }))).toEqual(['Plans a trip to Porto', 'Works night shifts']);
    expect(texts(await api.post('/v3/memories/', { filters: { AND: [{ user_id: 'ana' }, { categories: { contains: 'health' } }] } }))).toEqual(['Takes metformin', 'Works night shifts']);
    expect(texts(await api.post('/v3/memories/search/', { query: 'work', filters: { user_id: 'ana', categories: 'plans' } }))).toEqual(['Plans a trip to Porto']);
    const refused = await api.post('/v3/memories/', { filters: { user_id: 'ana', categories: { eq: 'plans' } } });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'INVALID_INPUT']);
  });
});

describe('policies of scopes on the CLI and over REST', () => {
  it('engram policy --user/--agent sets, shows and clears a scope’s own; --effective shows what applies; ENGRAM_USER_ID never aims it', async () => {
    const env = { ENGRAM_DB: tempDbPath(), ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL };
    expect((await engram(['policy', 'set', '-'], { env, stdin: '{"deny":["email"]}' })).code).toBe(0);
    expect((await engram(['policy', 'set', '-', '--user', 'ana'], { env, stdin: '{"instructions":"Ana is a patient.","deny":["iban"]}' })).code).toBe(0);
    expect((await engram(['policy', 'set', '-', '--user', 'ana', '--agent', 'coach'], { env, stdin: '{"excludes":["workouts"]}' })).code).toBe(0);
    expect((await engram(['policy', '--json', '--user', 'ana'], { env })).json()).toEqual({ policy: { instructions: 'Ana is a patient.', deny: ['iban'] } });
    expect((await engram(['policy', '--effective', '--json', '--user', 'ana', '--agent', 'coach'], { env })).json()).toEqual({
      policy: { deny: ['email', 'iban'], instructions: 'Ana is a patient.', excludes: ['workouts'] },
    });
    // The store's own, whatever ENGRAM_USER_ID says.
    expect((await engram(['policy', '--json'], { env: { ...env, ENGRAM_USER_ID: 'ana' } })).json()).toEqual({ policy: { deny: ['email'] } });
    const redacted = await engram(['add', '--user', 'ana', '--no-infer', '--json', 'Mail ana@example.pt, IBAN DE89 3704 0044 0532 0130 00'], { env });
    expect(redacted.stdout).toContain('Mail [redacted: email], IBAN [redacted: iban]');
    expect((await engram(['policy', 'clear', '--user', 'ana'], { env })).stdout).toMatch(/policy of user ana was removed/);
    expect((await engram(['policy', '--user', 'ana'], { env })).stdout).toMatch(/No policy of user ana/);
    expect((await engram(['policy', '--effective'], { env })).code).toBe(2);
    expect((await engram(['policy', 'set', '-', '--user', 'ana'], { env, stdin: '{"trackAccess":true}' })).code).toBe(1);
  });

  it('GET/PUT/DELETE /policy?user_id=… is a scope’s own; effective=true what applies there', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    await api.put('/policy', { deny: ['email'] });
    const set = await api.put('/policy?user_id=ana', { custom_instructions: 'Ana is a patient.', deny: ['iban'] });
    expect(set.status).toBe(200);
    expect(set.body.policy).toEqual({ instructions: 'Ana is a patient.', deny: ['iban'] });
    expect(await memory.policy({ userId: 'ana' })).toEqual({ instructions: 'Ana is a patient.', deny: ['iban'] });
    expect((await api.get('/policy')).body.policy).toEqual({ deny: ['email'] });
    expect((await api.get('/policy?user_id=ana&effective=true')).body.policy).toEqual({ deny: ['email', 'iban'], instructions: 'Ana is a patient.' });
    expectError(await api.get('/policy?effective=true'), 400, 'SCOPE_REQUIRED');
    expectError(await api.put('/policy?user_id=ana', { track_access: true }), 400, 'INVALID_INPUT');
    expect((await api.delete('/policy?user_id=ana')).body).toEqual({ policy: null });
    expect(await memory.policy({ userId: 'ana' })).toBeNull();
    expect(await memory.policy()).toEqual({ deny: ['email'] });
  });
});

describe('Mem0’s per-request instructions', () => {
  it('a hosted add with custom_instructions is refused with a pointer to a scope’s policy, and stores nothing', async () => {
    const { api, memory } = await startTestServer({ memory: { llm: null } });
    const refused = await api.post('/v1/memories/', { messages: [{ role: 'user', content: 'I like tea' }], user_id: 'ana', infer: false, custom_instructions: 'Keep it short.' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_INPUT');
    expect(refused.body.error.message).toMatch(/PUT \/policy\?user_id=/);
    expect(await memory.count({ userId: 'ana' })).toBe(0);
  });
});
