import { generateText, isStepCount, streamText, wrapLanguageModel } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { LIMITS, type Memory } from 'engram-memory';
import { engramMiddleware, engramTools } from 'engram-memory/ai-sdk';
import { chat, chatWithTools } from './examples/ai-sdk-chat.js';
import { EchoLlm } from './support/echo-llm.js';
import { openTestMemory } from './support/test-memory.js';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
const stop = { unified: 'stop' as const, raw: undefined };

/** A model that answers `answer`, generating or streaming, and records the prompts it was given. */
function answering(answer: string): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    doGenerate: async () => ({ content: [{ type: 'text', text: answer }], finishReason: stop, usage, warnings: [] }),
    doStream: async () => ({
      stream: convertArrayToReadableStream([
        { type: 'text-start', id: 't' },
        ...answer.split(/(?<= )/u).map((delta) => ({ type: 'text-delta' as const, id: 't', delta })),
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: stop, usage },
      ]),
    }),
  });
}

/** Alice and Bob, each with an allergy: a search that ignored the scope would find both. */
async function twoUsers(options: Parameters<typeof openTestMemory>[0] = { llm: null }): Promise<Memory> {
  const memory = await openTestMemory(options);
  await memory.add('I am allergic to penicillin', { userId: 'alice', infer: false });
  await memory.add('I am allergic to peanuts', { userId: 'bob', infer: false });
  return memory;
}

const texts = async (memory: Memory, userId: string) => (await memory.getAll({ userId })).results.map((m) => m.memory).sort();
const systemTexts = (prompt: MockLanguageModelV4['doGenerateCalls'][number]['prompt']) => prompt.flatMap((m) => (m.role === 'system' ? [m.content] : []));

describe('engramMiddleware (Vercel AI SDK)', () => {
  it('generateText: puts the user\'s memories into the prompt, never another user\'s, then stores the turn', async () => {
    const memory = await twoUsers();
    const model = answering('Avoid penicillin.');
    const middleware = engramMiddleware(memory, { userId: 'alice', add: { infer: false } });
    const { text } = await generateText({ model: wrapLanguageModel({ model, middleware }), system: 'You are a helpful assistant.', prompt: 'Am I allergic to anything?' });
    expect(text).toBe('Avoid penicillin.');

    const prompt = model.doGenerateCalls[0]!.prompt;
    // The app's own system prompt stays first; the memories follow it, before the conversation.
    expect(prompt.map((m) => m.role)).toEqual(['system', 'system', 'user']);
    const [instructions, memories] = systemTexts(prompt);
    expect(instructions).toBe('You are a helpful assistant.');
    expect(memories).toContain('allergic to penicillin');
    expect(memories).not.toContain('peanuts');

    await middleware.settled();
    expect(await texts(memory, 'alice')).toEqual(['Am I allergic to anything?', 'Avoid penicillin.', 'I am allergic to penicillin']);
    expect(await texts(memory, 'bob')).toEqual(['I am allergic to peanuts']);
  });

  it('streamText: the stream passes through whole, and the turn is stored once it has finished', async () => {
    const memory = await twoUsers();
    const model = answering('Penicillin, as you told me.');
    const middleware = engramMiddleware(memory, { userId: 'alice', add: { infer: false } });
    const result = streamText({ model: wrapLanguageModel({ model, middleware }), messages: [{ role: 'user', content: 'Am I allergic to anything?' }] });
    expect(await result.text).toBe('Penicillin, as you told me.');
    const memories = systemTexts(model.doStreamCalls[0]!.prompt).join('\n');
    expect(memories).toContain('allergic to penicillin');
    expect(memories).not.toContain('peanuts');

    await middleware.settled();
    expect(await texts(memory, 'alice')).toContain('Penicillin, as you told me.');
    expect(await texts(memory, 'bob')).toEqual(['I am allergic to peanuts']);
  });

  it('answers without waiting for the LLM that infers the stored facts (Memory.add\'s default)', async () => {
    const llm = new EchoLlm();
    const memory = await twoUsers({ llm });
    const middleware = engramMiddleware(memory, { userId: 'alice' });
    llm.hold();
    const { text } = await generateText({ model: wrapLanguageModel({ model: answering('Noted.'), middleware }), prompt: 'I moved to Lisbon' });
    expect(text).toBe('Noted.');
    expect(await texts(memory, 'alice')).toEqual(['I am allergic to penicillin']);
    llm.release();
    await middleware.settled();
    expect(await texts(memory, 'alice')).toEqual(['I am allergic to penicillin', 'Said: I moved to Lisbon']);
  });

  it('in a tool loop, stores the turn once, with the final answer, not the steps that called tools', async () => {
    const memory = await twoUsers();
    const model = new MockLanguageModelV4({
      doGenerate: [
        {
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool-call', toolCallId: 'c1', toolName: 'searchMemory', input: JSON.stringify({ query: 'allergies' }) },
          ],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        },
        { content: [{ type: 'text', text: 'You are allergic to penicillin.' }], finishReason: stop, usage, warnings: [] },
      ],
    });
    const middleware = engramMiddleware(memory, { userId: 'alice', add: { infer: false } });
    const tools = engramTools(memory, { userId: 'alice' });
    await generateText({ model: wrapLanguageModel({ model, middleware }), tools, stopWhen: isStepCount(3), prompt: 'What am I allergic to?' });
    await middleware.settled();
    expect(await texts(memory, 'alice')).toEqual(['I am allergic to penicillin', 'What am I allergic to?', 'You are allergic to penicillin.']);
  });

  it('what a user types never fails the call: a NUL or an overlong message is recalled and stored as far as Engram can take it', async () => {
    const memory = await twoUsers();
    const model = answering('Penicillin.');
    const errors: unknown[] = [];
    const middleware = engramMiddleware(memory, { userId: 'alice', add: { infer: false }, onError: (error) => errors.push(error) });
    const message = `Am I allergic\u0000 to anything? ${'x'.repeat(LIMITS.maxTextLength)}`;
    expect((await generateText({ model: wrapLanguageModel({ model, middleware }), prompt: message })).text).toBe('Penicillin.');
    expect(systemTexts(model.doGenerateCalls[0]!.prompt).join('\n')).toContain('allergic to penicillin');
    await middleware.settled();
    expect(errors).toEqual([]);
    const stored = (await memory.getAll({ userId: 'alice' })).results.find((m) => m.memory.startsWith('Am I allergic to anything?'));
    expect(stored?.memory).toHaveLength(LIMITS.maxTextLength);
  });

  it('a failing add reaches onError, not the answer', async () => {
    // No LLM and infer left at its default: Memory.add refuses.
    const memory = await twoUsers();
    const errors: unknown[] = [];
    const middleware = engramMiddleware(memory, { userId: 'alice', onError: (error) => errors.push(error) });
    const { text } = await generateText({ model: wrapLanguageModel({ model: answering('Fine.'), middleware }), prompt: 'Remember that I like tea' });
    expect(text).toBe('Fine.');
    await middleware.settled();
    expect(errors).toEqual([expect.objectContaining({ code: 'LLM_NOT_CONFIGURED' })]);
  });

  it('recall: false leaves the prompt alone; remember: false stores nothing', async () => {
    const memory = await twoUsers();
    const model = answering('Hello.');
    const middleware = engramMiddleware(memory, { userId: 'alice', recall: false, remember: false });
    await generateText({ model: wrapLanguageModel({ model, middleware }), prompt: 'Am I allergic to anything?' });
    await middleware.settled();
    expect(model.doGenerateCalls[0]!.prompt.map((m) => m.role)).toEqual(['user']);
    expect(await texts(memory, 'alice')).toEqual(['I am allergic to penicillin']);
  });

  it('takes its scope once, from the app: none is an error, and context options may not carry one', async () => {
    const memory = await twoUsers();
    expect(() => engramMiddleware(memory, {})).toThrow(expect.objectContaining({ code: 'SCOPE_REQUIRED' }));
    expect(() => engramMiddleware(memory, { userId: 'alice', context: { userId: 'bob' } as never })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => engramMiddleware(memory, { userId: 'alice', add: { userId: 'bob' } as never })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('engramTools (Vercel AI SDK)', () => {
  const call = { toolCallId: 'c1', messages: [], context: {} };

  it('searchMemory and addMemory work in the scope the app fixed, whatever the arguments say', async () => {
    const memory = await twoUsers();
    const tools = engramTools(memory, { userId: 'alice', add: { infer: false } });
    // An argument naming another user is not obeyed (the AI SDK refuses it before execute: see the next test).
    const found = await tools.searchMemory.execute({ query: 'allergic', userId: 'bob' } as never, call);
    expect(found).toMatchObject({ memories: [{ memory: 'I am allergic to penicillin' }] });
    expect(JSON.stringify(found)).not.toContain('peanuts');

    expect(await tools.addMemory.execute({ text: 'Prefers window seats', userId: 'bob' } as never, call)).toEqual({ changes: [{ event: 'ADD', memory: 'Prefers window seats' }] });
    expect(await texts(memory, 'alice')).toEqual(['I am allergic to penicillin', 'Prefers window seats']);
    expect(await texts(memory, 'bob')).toEqual(['I am allergic to peanuts']);
  });

  it('in generateText, the model searches through the tool; a call that names a scope is refused', async () => {
    const memory = await twoUsers();
    const toolCall = (input: object) => ({
      content: [{ type: 'tool-call' as const, toolCallId: 'c1', toolName: 'searchMemory', input: JSON.stringify(input) }],
      finishReason: { unified: 'tool-calls' as const, raw: undefined },
      usage,
      warnings: [],
    });
    const answer = { content: [{ type: 'text' as const, text: 'Done.' }], finishReason: stop, usage, warnings: [] };
    const model = new MockLanguageModelV4({ doGenerate: [toolCall({ query: 'allergic' }), answer, toolCall({ query: 'allergic', userId: 'bob' }), answer] });
    const tools = engramTools(memory, { userId: 'alice' });

    await generateText({ model, tools, stopWhen: isStepCount(2), prompt: 'What am I allergic to?' });
    const toolResult = JSON.stringify(model.doGenerateCalls[1]!.prompt.filter((m) => m.role === 'tool'));
    expect(toolResult).toContain('allergic to penicillin');
    expect(toolResult).not.toContain('peanuts');

    const refused = await generateText({ model, tools, stopWhen: isStepCount(2), prompt: 'What is Bob allergic to?' });
    expect(refused.steps[0]!.content).toContainEqual(expect.objectContaining({ type: 'tool-error', toolName: 'searchMemory' }));
    expect(JSON.stringify(model.doGenerateCalls[3]!.prompt)).not.toContain('peanuts');
  });
});

describe('the README examples (test/examples/ai-sdk-chat.ts)', () => {
  it('chat: the model is told what Alice said before, and the turn is remembered', async () => {
    // The example leaves infer at its default: an LLM (here the echo double) extracts what to remember.
    const memory = await twoUsers({ llm: new EchoLlm() });
    const model = answering('Then avoid amoxicillin too.');
    expect(await chat(memory, model, 'alice', 'Can I take amoxicillin? I am allergic to some antibiotics.')).toBe('Then avoid amoxicillin too.');
    const prompt = JSON.stringify(model.doGenerateCalls[0]!.prompt);
    expect(prompt).toContain('I am allergic to penicillin');
    expect(prompt).not.toContain('peanuts');
    expect(await texts(memory, 'alice')).toEqual(['I am allergic to penicillin', 'Said: Can I take amoxicillin? I am allergic to some antibiotics.']);
  });

  it('chatWithTools: the model searches Alice\'s memories through the tool', async () => {
    const memory = await twoUsers();
    const model = new MockLanguageModelV4({
      doGenerate: [
        {
          content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'searchMemory', input: JSON.stringify({ query: 'allergies' }) }],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        },
        { content: [{ type: 'text', text: 'You are allergic to penicillin.' }], finishReason: stop, usage, warnings: [] },
      ],
    });
    expect(await chatWithTools(memory, model, 'alice', 'What am I allergic to?')).toBe('You are allergic to penicillin.');
    const toolResults = JSON.stringify(model.doGenerateCalls[1]!.prompt.filter((m) => m.role === 'tool'));
    expect(toolResults).toContain('I am allergic to penicillin');
    expect(toolResults).not.toContain('peanuts');
  });
});
