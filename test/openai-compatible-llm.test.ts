import { describe, expect, it } from 'vitest';
import { Memory, OpenAiCompatibleLlm, OPERATIONS_JSON_SCHEMA, type LlmRequest } from 'engram-memory';
import { closedPort, startOpenAiStub } from './support/openai-stub-server.js';
import { ops } from './support/scripted-llm.js';
import { openConfiguredMemory, resolveRuntimeConfig } from '../src/cli/runtime-config.js';
import { closeAfterTest, tempDbPath, tempDir, testEmbedder } from './support/test-memory.js';

const CHAT = '/v1/chat/completions';
const request: LlmRequest = {
  messages: [
    { role: 'system', content: 'Answer with JSON.' },
    { role: 'user', content: 'I like tea.' },
  ],
  schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
  maxTokens: 300,
};
type Body = Record<string, unknown>;


describe('OpenAiCompatibleLlm', () => {
  it('POSTs model, messages, the schema as response_format, max_tokens, temperature 0 and the API key', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ content: '{"ok":true}' });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'qwen2.5:7b', apiKey: 'sk-local' });
    expect(await llm.complete(request)).toBe('{"ok":true}');
    expect(llm.id).toBe(`openai-compatible:qwen2.5:7b@${new URL(stub.baseUrl).host}`);
    const [sent] = stub.requestsTo(CHAT);
    expect(sent!.headers.authorization).toBe('Bearer sk-local');
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.body).toEqual({
      model: 'qwen2.5:7b',
      messages: request.messages,
      temperature: 0,
      max_tokens: 300,
      stream: false,
      response_format: { type: 'json_schema', json_schema: { name: 'engram_output', schema: request.schema, strict: true } },
    });
  });

  it('sends no Authorization without apiKey, its own max_tokens when the request sets none, and the chosen format', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ content: '{}' }, { content: '{}' });
    await new OpenAiCompatibleLlm({ baseUrl: `${stub.baseUrl}/`, model: 'm', maxTokens: 64, temperature: 0.5, responseFormat: 'json_object' }).complete({ ...request, maxTokens: undefined });
    await new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm', responseFormat: 'none' }).complete(request);
    const [first, second] = stub.requestsTo(CHAT).map((r) => r.body as Body);
    expect(stub.requests[0]!.headers.authorization).toBeUndefined();
    expect(first).toMatchObject({ max_tokens: 64, temperature: 0.5, response_format: { type: 'json_object' } });
    expect(second).not.toHaveProperty('response_format');
  });

  it('falls back to json_object once when the server refuses json_schema with 400, and keeps it for the instance', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ status: 400, body: { error: { message: 'response_format json_schema not supported' } } }, { content: '{"ok":true}' }, { content: '{"ok":false}' });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm' });
    expect(await llm.complete(request)).toBe('{"ok":true}');
    expect(await llm.complete(request)).toBe('{"ok":false}');
    expect(stub.requestsTo(CHAT).map((r) => ((r.body as Body).response_format as Body).type)).toEqual(['json_schema', 'json_object', 'json_object']);
    expect(llm.responseFormat).toBe('json_object');
  });

  it('keeps json_schema and reports the 400 when JSON mode is refused too (the 400 was about something else)', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ status: 400, body: { error: { message: 'context length exceeded' } } }, { status: 400, body: { error: 'still too long' } });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm' });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'LLM_FAILED', message: expect.stringContaining('HTTP 400: context length exceeded') });
    expect(llm.responseFormat).toBe('json_schema');
    expect(stub.requestsTo(CHAT)).toHaveLength(2);
  });

  it('fails with LLM_FAILED naming the URL and how to start the server when nothing listens', async () => {
    const port = await closedPort();
    const llm = new OpenAiCompatibleLlm({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' });
    const error = await llm.complete(request).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LLM_FAILED', message: expect.stringContaining(`http://127.0.0.1:${port}/v1/chat/completions`) });
    expect((error as Error).message).toMatch(/ECONNREFUSED.*ollama serve/);
  });

  it('fails with LLM_FAILED on a 500, and on a server that does not answer within timeoutMs', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ status: 500, body: { error: { message: 'model crashed' } } }, { hang: true });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm', timeoutMs: 300 });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'LLM_FAILED', message: expect.stringContaining('HTTP 500: model crashed') });
    const started = Date.now();
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'LLM_FAILED', message: expect.stringContaining('did not answer within 300 ms') });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails with LLM_OUTPUT_INVALID when the answer has no choices[0].message.content', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ status: 200, body: 'not json at all' }, { status: 200, body: { choices: [] } }, { status: 200, body: { choices: [{ message: { content: null, refusal: 'no' } }] } });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm' });
    for (let i = 0; i < 3; i++) await expect(llm.complete(request)).rejects.toMatchObject({ code: 'LLM_OUTPUT_INVALID' });
  });

  it('does not follow a redirect (it could lead off the machine)', async () => {
    const elsewhere = await startOpenAiStub();
    elsewhere.plan({ content: '{"ok":true}' });
    const stub = await startOpenAiStub();
    stub.plan({ status: 307, body: '', headers: { location: `${elsewhere.baseUrl}/chat/completions` } });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm' });
    await expect(llm.complete(request)).rejects.toMatchObject({ code: 'LLM_FAILED', message: expect.stringContaining('redirect') });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('refuses a server on another machine with INVALID_INPUT unless allowRemote, and accepts every loopback spelling', () => {
    for (const baseUrl of ['http://192.168.1.20:11434/v1', 'https://api.openai.com/v1', 'http://localhost.evil.com/v1', 'http://0.0.0.0:11434/v1']) {
      expect(() => new OpenAiCompatibleLlm({ baseUrl, model: 'm' }), baseUrl).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
    expect(new OpenAiCompatibleLlm({ baseUrl: 'https://api.openai.com/v1', model: 'm', allowRemote: true }).id).toBe('openai-compatible:m@api.openai.com');
    for (const baseUrl of ['http://localhost:11434/v1', 'http://127.0.0.1:1234/v1', 'http://127.1.2.3/v1', 'http://[::1]:8080/v1', 'http://LOCALHOST/v1']) {
      expect(() => new OpenAiCompatibleLlm({ baseUrl, model: 'm' }), baseUrl).not.toThrow();
    }
    expect(() => new OpenAiCompatibleLlm({ baseUrl: 'ftp://127.0.0.1/v1', model: 'm' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => new OpenAiCompatibleLlm({ baseUrl: 'http://127.0.0.1/v1', model: '' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('refuses a remote server in Memory.open’s option form too', async () => {
    await expect(Memory.open({ path: tempDbPath(), embedder: testEmbedder(), llm: { openaiCompatible: { baseUrl: 'http://10.0.0.5:11434/v1', model: 'm' } } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('Memory with an OpenAI-compatible LLM', () => {
  it('adds with inference: the model’s operations, sent with the operations schema, are stored', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ content: ops({ event: 'ADD', text: 'Is vegetarian', kind: 'semantic' }) });
    const memory = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: testEmbedder(), llm: { openaiCompatible: { baseUrl: stub.baseUrl, model: 'qwen2.5:7b' } } }));
    const { results } = await memory.add('I went vegetarian this year.', { userId: 'alice' });
    expect(results).toEqual([{ id: expect.any(String), memory: 'Is vegetarian', event: 'ADD' }]);
    expect(await memory.get(results[0]!.id)).toMatchObject({ memory: 'Is vegetarian', kind: 'semantic', userId: 'alice' });
    const sent = stub.requestsTo(CHAT)[0]!.body as { response_format: { json_schema: { schema: unknown } }; messages: { content: string }[] };
    expect(sent.response_format.json_schema.schema).toEqual(OPERATIONS_JSON_SCHEMA);
    expect(sent.messages.at(-1)!.content).toContain('I went vegetarian this year.');
  });

  it('stores nothing when the model answers invalid JSON (LLM_OUTPUT_INVALID) or the server fails (LLM_FAILED)', async () => {
    const stub = await startOpenAiStub();
    stub.plan({ content: '{"operations": [{"event": "ADD", "text": ' }, { content: { operations: [{ event: 'EXPLODE' }] } }, { status: 503, body: 'overloaded' });
    const llm = new OpenAiCompatibleLlm({ baseUrl: stub.baseUrl, model: 'm' });
    const memory = closeAfterTest(await Memory.open({ path: tempDbPath(), embedder: testEmbedder(), llm }));
    await expect(memory.add('I went vegetarian this year.', { userId: 'alice' })).rejects.toMatchObject({ code: 'LLM_OUTPUT_INVALID' });
    await expect(memory.add('I went vegetarian this year.', { userId: 'alice' })).rejects.toMatchObject({ code: 'LLM_OUTPUT_INVALID' });
    await expect(memory.add('I went vegetarian this year.', { userId: 'alice' })).rejects.toMatchObject({ code: 'LLM_FAILED' });
    expect((await memory.getAll({ userId: 'alice' })).results).toEqual([]);
  });
});

describe('the CLI’s ENGRAM_LLM_URL and ENGRAM_EMBEDDING_URL', () => {
  it('open the store with both models served, and need the model names', async () => {
    const stub = await startOpenAiStub({ dimension: 20 });
    stub.planChat({ content: ops({ event: 'ADD', text: 'Likes tea', kind: 'semantic' }) });
    const env = { ENGRAM_HOME: tempDir(), ENGRAM_LLM_URL: stub.baseUrl, ENGRAM_LLM_MODEL: 'qwen2.5:7b', ENGRAM_EMBEDDING_URL: stub.baseUrl, ENGRAM_EMBEDDING_MODEL: 'nomic-embed-text' };
    const config = resolveRuntimeConfig({}, env);
    expect(config).toMatchObject({ llmUrl: stub.baseUrl, llmModel: 'qwen2.5:7b', embeddingUrl: stub.baseUrl, embeddingModel: 'nomic-embed-text' });
    const memory = closeAfterTest(await openConfiguredMemory(config));
    const { results } = await memory.add('I like tea.', { userId: 'u' });
    expect(results.map((r) => r.memory)).toEqual(['Likes tea']);
    expect(stub.requestsTo(CHAT).map((r) => (r.body as Body).model)).toEqual(['qwen2.5:7b']);
    expect(new Set(stub.requestsTo('/v1/embeddings').map((r) => (r.body as Body).model))).toEqual(new Set(['nomic-embed-text']));
    expect(() => resolveRuntimeConfig({}, { ENGRAM_HOME: tempDir(), ENGRAM_LLM_URL: stub.baseUrl })).toThrow(/ENGRAM_LLM_URL is set, so --llm-model \(ENGRAM_LLM_MODEL\) must name/);
    expect(() => resolveRuntimeConfig({}, { ENGRAM_HOME: tempDir(), ENGRAM_EMBEDDING_URL: stub.baseUrl })).toThrow(/ENGRAM_EMBEDDING_MODEL/);
  });
});
