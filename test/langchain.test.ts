import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence, RunnableWithMessageHistory } from '@langchain/core/runnables';
import { FakeChatModel } from '@langchain/core/utils/testing';
import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { EngramChatMessageHistory, EngramRetriever } from 'engram-memory/langchain';
import { memoryChat } from './examples/langchain-chat.js';
import { openTestMemory } from './support/test-memory.js';

/** Alice and Bob, each with an allergy: a search that ignored the scope would find both. */
async function twoUsers(): Promise<Memory> {
  const memory = await openTestMemory({ llm: null });
  await memory.add('I am allergic to penicillin', { userId: 'alice', infer: false, metadata: { topic: 'health' } });
  await memory.add('I love grilled sardines', { userId: 'alice', infer: false, metadata: { topic: 'food' } });
  await memory.add('I am allergic to peanuts', { userId: 'bob', infer: false, metadata: { topic: 'health' } });
  return memory;
}

describe('EngramRetriever (LangChain.js)', () => {
  it('feeds the user\'s memories, and only theirs, to the model of a chain', async () => {
    const memory = await twoUsers();
    const retriever = new EngramRetriever({ memory, userId: 'alice', search: { limit: 3 } });
    const prompt = ChatPromptTemplate.fromMessages([
      ['system', 'What you know about the user:\n{memories}'],
      ['human', '{question}'],
    ]);
    const chain = RunnableSequence.from([
      { memories: retriever.pipe((docs) => docs.map((d) => d.pageContent).join('\n')), question: new RunnablePassthrough() },
      prompt,
      new FakeChatModel({}), // answers with the prompt it was given
      new StringOutputParser(),
    ]);
    const seen = await chain.invoke('Am I allergic to anything?');
    expect(seen).toContain('I am allergic to penicillin');
    expect(seen).not.toContain('peanuts');
  });

  it('returns Documents with the memory as pageContent and its id, score, dates, scope and metadata', async () => {
    const memory = await twoUsers();
    const [food] = (await memory.getAll({ userId: 'alice', filters: { topic: 'food' } })).results;
    const retriever = new EngramRetriever({ memory, userId: 'alice', search: { filters: { topic: 'food' } } });
    const docs = await retriever.invoke('what do I like to eat?');
    expect(docs).toHaveLength(1);
    expect(docs[0]!.pageContent).toBe('I love grilled sardines');
    expect(docs[0]!.id).toBe(food!.id);
    expect(docs[0]!.metadata).toEqual({
      id: food!.id,
      score: expect.any(Number),
      kind: 'semantic',
      createdAt: food!.createdAt,
      updatedAt: food!.updatedAt,
      validFrom: food!.validFrom,
      userId: 'alice',
      metadata: { topic: 'food' },
    });
  });

  it('takes its scope once, from the app: none is an error, and search options may not carry one', async () => {
    const memory = await twoUsers();
    expect(() => new EngramRetriever({ memory })).toThrow(expect.objectContaining({ code: 'SCOPE_REQUIRED' }));
    expect(() => new EngramRetriever({ memory, userId: 'alice', search: { userId: 'bob' } as never })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    const bobs = await new EngramRetriever({ memory, userId: 'alice' }).invoke('peanuts');
    expect(bobs.map((d) => d.pageContent)).not.toContain('I am allergic to peanuts');
  });
});

describe('EngramChatMessageHistory (LangChain.js)', () => {
  it('keeps a conversation\'s messages in order, as memories of its scope', async () => {
    const memory = await openTestMemory({ llm: null });
    const history = new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-1' });
    await history.addMessages([new HumanMessage('I moved to Lisbon last month'), new AIMessage('How are you settling in?')]);
    await history.addUserMessage('Slowly, the hills are steep');
    await history.addMessage(new AIMessage('They are. Try the tram 28.'));
    await history.addMessages([new SystemMessage('Be brief.'), new ToolMessage({ content: 'weather: sunny', tool_call_id: 't1' })]);

    // Said twice, kept twice: the history reads the message log, not the (deduplicated) memories.
    await history.addMessages([new HumanMessage('ok'), new AIMessage('Anything else?'), new HumanMessage('ok')]);

    const messages = await history.getMessages();
    expect(messages.map((m) => [m.getType(), m.text])).toEqual([
      ['human', 'I moved to Lisbon last month'],
      ['ai', 'How are you settling in?'],
      ['human', 'Slowly, the hills are steep'],
      ['ai', 'They are. Try the tram 28.'],
      ['human', 'ok'],
      ['ai', 'Anything else?'],
      ['human', 'ok'],
    ]);
    // The turns are memories: search finds them, in the conversation's scope.
    const { results } = await memory.search('Where do I live? Lisbon', { userId: 'alice' });
    expect(results[0]).toMatchObject({ memory: 'I moved to Lisbon last month', runId: 'chat-1', metadata: { chatRole: 'user' } });
  });

  it('keeps conversations and users apart; clear() forgets one conversation only', async () => {
    const memory = await openTestMemory({ llm: null });
    const alice1 = new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-1' });
    const alice2 = new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-2' });
    const bob1 = new EngramChatMessageHistory({ memory, userId: 'bob', runId: 'chat-1' });
    await alice1.addUserMessage('My PIN is 4321');
    await alice2.addUserMessage('Book a table for two');
    expect(await bob1.getMessages()).toEqual([]);
    expect((await alice2.getMessages()).map((m) => m.text)).toEqual(['Book a table for two']);

    await alice1.clear();
    expect(await alice1.getMessages()).toEqual([]);
    expect((await memory.getAll({ userId: 'alice' })).results.map((m) => m.memory)).toEqual(['Book a table for two']);
    expect(() => new EngramChatMessageHistory({ memory, userId: 'alice' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('gives RunnableWithMessageHistory the earlier turns of the session', async () => {
    const memory = await openTestMemory({ llm: null });
    const prompt = ChatPromptTemplate.fromMessages([['system', 'You look after pets.'], new MessagesPlaceholder('history'), ['human', '{question}']]);
    const chat = new RunnableWithMessageHistory({
      runnable: prompt.pipe(new FakeChatModel({})), // answers with the prompt it was given
      getMessageHistory: (sessionId: string) => new EngramChatMessageHistory({ memory, userId: 'alice', runId: sessionId }),
      inputMessagesKey: 'question',
      historyMessagesKey: 'history',
    });
    const config = { configurable: { sessionId: 'chat-7' } };
    await chat.invoke({ question: 'My dog is called Bolt' }, config);
    const second = await chat.invoke({ question: 'What is my dog called?' }, config);
    // The model saw the first turn (the question, and its answer: the prompt it was given) before the second question.
    expect(second.text).toBe(['You look after pets.', 'My dog is called Bolt', 'You look after pets.\nMy dog is called Bolt', 'What is my dog called?'].join('\n'));
    expect((await new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-7' }).getMessages()).map((m) => m.getType())).toEqual(['human', 'ai', 'human', 'ai']);
  });
});

describe('the README example (test/examples/langchain-chat.ts)', () => {
  it('brings Alice\'s memories and the conversation so far to the model, and keeps the conversation', async () => {
    const memory = await twoUsers();
    const chat = memoryChat(memory, new FakeChatModel({}), 'alice'); // the fake answers with the prompt it was given
    const session = { configurable: { sessionId: 'chat-1' } };
    await chat.invoke({ question: 'My sister visits on Friday' }, session);
    const seen = await chat.invoke({ question: 'Can I take penicillin?' }, session);
    expect(seen).toContain('- I am allergic to penicillin');
    expect(seen).toContain('My sister visits on Friday');
    expect(seen).not.toContain('peanuts');
    const kept = await new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-1' }).getMessages();
    expect(kept.map((m) => m.getType())).toEqual(['human', 'ai', 'human', 'ai']);
  });
});
