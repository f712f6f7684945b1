import { describe, expect, it, vi } from 'vitest';
import { Memory, OpenAiCompatibleEmbedder } from 'engram-memory';
import { closedPort, startOpenAiStub, stubVector } from './support/openai-stub-server.js';
import { engram } from './support/engram-cli.js';
import { closeAfterTest, tempDbPath, TEST_EMBEDDING_MODEL } from './support/test-memory.js';

const EMBEDDINGS = '/v1/embeddings';
type Body = { model: string; input: string[] };

const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
const unit = (values: number[]) => {
  const length = Math.hypot(...values);
  return values.map((v) => v / length);
};


describe('OpenAiCompatibleEmbedder', () => {
  it('learns its dimension from one probe at connect, and POSTs { model, input } with the API key', async () => {
    const stub = await startOpenAiStub({ dimension: 12 });
    const embedder = await OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'nomic-embed-text', apiKey: 'k' });
    expect(embedder.dimension).toBe(12);
    expect(embedder.id).toBe('openai-compatible:nomic-embed-text');
    expect(stub.requestsTo(EMBEDDINGS)).toHaveLength(1);
    const [vector] = await embedder.embed(['hello world']);
    const sent = stub.requestsTo(EMBEDDINGS)[1]!;
    expect(sent.body).toEqual({ model: 'nomic-embed-text', input: ['hello world'] });
    expect(sent.headers.authorization).toBe('Bearer k');
    Array.from(vector!).forEach((value, i) => expect(value).toBeCloseTo(unit(stubVector('hello world', 12))[i]!, 5));
    expect(norm(vector!)).toBeCloseTo(1, 5);
  });

  it('sends at most batchSize texts per request and returns the vectors in input order, whatever order the server answers in', async () => {
    const stub = await startOpenAiStub({ dimension: 8, reverseOrder: true });
    const embedder = await OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'm', batchSize: 2 });
    const texts = ['a', 'b', 'c', 'd', 'e'];
    const vectors = await embedder.embed(texts);
    expect(stub.requestsTo(EMBEDDINGS).slice(1).map((r) => (r.body as Body).input)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    texts.forEach((text, i) => expect(vectors[i]![0]).toBeCloseTo(unit(stubVector(text, 8))[0]!, 5));
    expect(await embedder.embed([])).toEqual([]);
  });

  it('puts the query and document prefixes before the texts, and into its id', async () => {
    const stub = await startOpenAiStub();
    const embedder = await OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'm', queryPrefix: 'search_query: ', documentPrefix: 'search_document: ' });
    await embedder.embed(['tea'], 'query');
    await embedder.embed(['tea']);
    expect(stub.requestsTo(EMBEDDINGS).slice(1).map((r) => (r.body as Body).input)).toEqual([['search_query: tea'], ['search_document: tea']]);
    expect(embedder.id).toBe('openai-compatible:m (query: "search_query: ", document: "search_document: ")');
  });

  it('makes a store bound without prefixes refuse it (EMBEDDING_MISMATCH): the vectors would not compare', async () => {
    const stub = await startOpenAiStub();
    const path = tempDbPath();
    const plain = { baseUrl: stub.baseUrl, model: 'm' };
    await (await Memory.open({ path, embedder: { openaiCompatible: plain }, llm: null })).close();
    await expect(Memory.open({ path, embedder: { openaiCompatible: { ...plain, queryPrefix: 'q: ' } }, llm: null })).rejects.toMatchObject({ code: 'EMBEDDING_MISMATCH' });
  });

  it('adds and finds memories in a Memory opened with the option form', async () => {
    const stub = await startOpenAiStub({ dimension: 32 });
    const memory = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: { openaiCompatible: { baseUrl: stub.baseUrl, model: 'm' } }, llm: null }));
    await memory.add('Drinks green tea every morning', { userId: 'alice', infer: false });
    const { results } = await memory.search('Drinks green tea every morning', { userId: 'alice' });
    expect(results.map((r) => r.memory)).toEqual(['Drinks green tea every morning']);
  });

  it('fails at connect when the server is not running, or serves another dimension than the one given', async () => {
    const port = await closedPort();
    await expect(OpenAiCompatibleEmbedder.connect({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' })).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${port}/v1/embeddings.*ECONNREFUSED`)),
    });
    const stub = await startOpenAiStub({ dimension: 16 });
    await expect(OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'm', dimension: 768 })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED', message: expect.stringContaining('not the 768') });
    expect((await OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'm', dimension: 16 })).dimension).toBe(16);
  });

  it('refuses a server on another machine with INVALID_INPUT unless allowRemote', async () => {
    for (const baseUrl of ['http://192.168.1.20:11434/v1', 'https://api.openai.com/v1', 'http://[::2]:8080/v1']) {
      await expect(OpenAiCompatibleEmbedder.connect({ baseUrl, model: 'm' }), baseUrl).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(Memory.open({ path: tempDbPath(), embedder: { openaiCompatible: { baseUrl, model: 'm' } }, llm: null }), baseUrl).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    // Allowed, it is tried (and this address is not served: EMBEDDING_FAILED, not INVALID_INPUT).
    await expect(OpenAiCompatibleEmbedder.connect({ baseUrl: 'http://192.0.2.1:9/v1', model: 'm', allowRemote: true, timeoutMs: 300 })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
  });

  it('refuses wrong answers with EMBEDDING_FAILED: an error status, a timeout, too few vectors, a wrong length, non-numbers, a zero vector', async () => {
    const stub = await startOpenAiStub({ dimension: 4 });
    const embedder = await OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'm', timeoutMs: 300 });
    const answers = [
      [{ status: 404, body: { error: 'model "m" not found, try pulling it first' } }, 'HTTP 404: model "m" not found'],
      [{ hang: true }, 'did not answer within 300 ms'],
      [{ status: 200, body: { data: [{ index: 0, embedding: [1, 0, 0, 0] }] } }, 'returned 1 vectors for 2 texts'],
      [{ status: 200, body: { data: [{ index: 0, embedding: [1, 0, 0, 0] }, { index: 0, embedding: [1, 0, 0, 0] }] } }, 'returned 2 vectors for 2 texts'],
      [{ status: 200, body: { data: [{ index: 0, embedding: [1, 0, 0] }, { index: 1, embedding: [1, 0, 0, 0] }] } }, 'length 3; expected 4'],
      [{ status: 200, body: { data: [{ index: 0, embedding: [1, null, 0, 0] }, { index: 1, embedding: [1, 0, 0, 0] }] } }, 'without data[].embedding'],
      [{ status: 200, body: { data: [{ index: 0, embedding: [0, 0, 0, 0] }, { index: 1, embedding: [1, 0, 0, 0] }] } }, 'zero vector for text 0'],
      [{ status: 200, body: { data: [{ index: 0, embedding: [1e300, 0, 0, 0] }, { index: 1, embedding: [1, 0, 0, 0] }] } }, 'non-finite vector for text 0'],
      [{ status: 200, body: '<html>proxy error</html>' }, 'without data[].embedding'],
    ] as const;
    for (const [answer, message] of answers) {
      stub.plan(answer);
      await expect(embedder.embed(['one', 'two']), message).rejects.toMatchObject({ code: 'EMBEDDING_FAILED', message: expect.stringContaining(message) });
    }
  });
});

describe('the deadline of a call to a local server', () => {
  it('holds even when fetch ignores the abort (a body that stalls past it): EMBEDDING_FAILED at the deadline, not a hang', async () => {
    const stub = await startOpenAiStub({ dimension: 4 });
    const embedder = await OpenAiCompatibleEmbedder.connect({ baseUrl: stub.baseUrl, model: 'm', timeoutMs: 200 });
    const deaf = vi.fn(() => new Promise<Response>(() => undefined));
    vi.stubGlobal('fetch', deaf);
    try {
      await expect(embedder.embed(['one'])).rejects.toMatchObject({ code: 'EMBEDDING_FAILED', message: expect.stringContaining('did not answer within 200 ms') });
      expect(deaf).toHaveBeenCalledOnce();
      expect((deaf.mock.calls[0] as unknown as [URL, RequestInit])[1].signal?.aborted).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('engram doctor and reindex with ENGRAM_EMBEDDING_URL', () => {
  it('doctor asks the server for a vector, and names the served LLM instead of looking for a file', async () => {
    const stub = await startOpenAiStub({ dimension: 12 });
    const env = { env: { ENGRAM_DB: tempDbPath(), ENGRAM_EMBEDDING_URL: stub.baseUrl, ENGRAM_EMBEDDING_MODEL: 'nomic-embed-text', ENGRAM_LLM_URL: stub.baseUrl, ENGRAM_LLM_MODEL: 'qwen' } };
    const report = await engram(['doctor'], env);
    expect(report.stdout).toMatch(/^✓ embedding model: nomic-embed-text at http:\/\/127\.0\.0\.1:\d+\/v1, 12 dimensions$/m);
    expect(report.stdout).toMatch(/^✓ LLM: qwen at http:\/\/127\.0\.0\.1:\d+\/v1 \(not called by doctor/m);
    const down = `http://127.0.0.1:${await closedPort()}/v1`;
    const sick = await engram(['doctor'], { env: { ...env.env, ENGRAM_EMBEDDING_URL: down } });
    expect(sick.code).toBe(1);
    expect(sick.stdout).toMatch(/^✗ embedding model: /m);
  });

  it('reindex re-embeds a file with the served model', async () => {
    const stub = await startOpenAiStub({ dimension: 12 });
    const db = tempDbPath();
    await engram(['add', '--user', 'alice', '--no-infer', 'I like tea.', '--db', db, '--embedding-model', TEST_EMBEDDING_MODEL]);
    const reindexed = await engram(['reindex', '--db', db], { env: { ENGRAM_EMBEDDING_URL: stub.baseUrl, ENGRAM_EMBEDDING_MODEL: 'nomic-embed-text' } });
    expect(reindexed.code, reindexed.stderr).toBe(0);
    const found = await engram(['search', '--user', 'alice', 'tea', '--db', db, '--json'], { env: { ENGRAM_EMBEDDING_URL: stub.baseUrl, ENGRAM_EMBEDDING_MODEL: 'nomic-embed-text' } });
    expect(found.json<{ results: { memory: string }[] }>().results.map((r) => r.memory)).toEqual(['I like tea.']);
  });
});
