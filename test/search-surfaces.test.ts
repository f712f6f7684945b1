import { describe, expect, it } from 'vitest';
import { engram } from './support/engram-cli.js';
import { startTestServer } from './support/rest-server.js';
import { Memory } from 'engram-memory';
import { TEST_EMBEDDING_MODEL, tempDbPath, testEmbedder } from './support/test-memory.js';

/** Neighbours, time and sources through the REST server and the CLI, in their spellings. */
const TURNS = [
  ['2023-05-08T14:00:00Z', 'How was your weekend?'],
  ['2023-05-08T14:00:00Z', 'Did you finally go to the pottery class on Saturday?'],
  ['2023-05-08T14:00:00Z', 'Yes, and Mel came along too.'],
  ['2023-08-05T10:00:00Z', 'We went camping up in the mountains.'],
] as const;

describe('search options on every surface', () => {
  it('REST: with_neighbours, with_sources and reference_date, answered in snake_case', async () => {
    const { memory, api } = await startTestServer();
    for (const [createdAt, content] of TURNS) await memory.add([{ role: 'user', content, createdAt }], { userId: 'u', infer: false });
    const reply = await api.post('/search', { query: 'pottery class', user_id: 'u', with_neighbours: true, with_sources: true, explain: true });
    expect(reply.status).toBe(200);
    const hit = reply.body.results.find((r: { memory: string }) => r.memory.includes('pottery'));
    expect(hit.neighbours.before.map((m: { memory: string }) => m.memory)).toEqual(['How was your weekend?']);
    expect(hit.neighbours.after[0]).toMatchObject({ memory: 'Yes, and Mel came along too.', valid_from: '2023-05-08T14:00:00.000Z' });
    expect(hit.sources).toEqual([{ id: expect.any(Number), role: 'user', content: 'Did you finally go to the pottery class on Saturday?', created_at: '2023-05-08T14:00:00.000Z' }]);
    const dated = await api.post('/search', { query: 'what did we do last month?', user_id: 'u', reference_date: '2023-09-10T00:00:00Z', explain: true, neighbours: false });
    expect(dated.body.results[0]).toMatchObject({ memory: 'We went camping up in the mountains.', signals: { time: 1 } });
    const wrong = await api.post('/search', { query: 'x', user_id: 'u', reference_date: 'soon' });
    expect(wrong.status).toBe(400);
  });

  it('CLI: --with-neighbours, --with-sources, --reference-date and --plain', async () => {
    const db = tempDbPath();
    const env = { ENGRAM_EMBEDDING_MODEL: TEST_EMBEDDING_MODEL };
    const seeding = await Memory.open({ path: db, embedder: testEmbedder(), llm: null });
    for (const [createdAt, content] of TURNS) await seeding.add([{ role: 'user', content, createdAt }], { userId: 'u', infer: false });
    await seeding.close();
    const shown = await engram(['search', '--db', db, '--user', 'u', '--with-neighbours', '--with-sources', 'pottery class'], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('before: [2023-05-08] How was your weekend?');
    expect(shown.stdout).toContain('after:  [2023-05-08] Yes, and Mel came along too.');
    expect(shown.stdout).toContain('said:   [2023-05-08] user: Did you finally go to the pottery class on Saturday?');
    const dated = await engram(['search', '--db', db, '--user', 'u', '--json', '--explain', '--reference-date', '2023-09-10T00:00:00Z', 'what did we do last month?'], { env });
    expect(dated.json<{ results: { memory: string; signals: { time?: number } }[] }>().results[0]).toMatchObject({ memory: 'We went camping up in the mountains.', signals: { time: 1 } });
    const plain = await engram(['search', '--db', db, '--user', 'u', '--json', '--explain', '--plain', '--reference-date', '2023-09-10T00:00:00Z', 'what did we do last month?'], { env });
    expect(plain.json<{ results: { signals: { time?: number; neighbour?: number } }[] }>().results.every((r) => r.signals.time === undefined && r.signals.neighbour === undefined)).toBe(true);
  });
});
