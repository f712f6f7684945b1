import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableWithMessageHistory } from '@langchain/core/runnables';
import type { Memory } from 'engram-memory';
import { EngramChatMessageHistory, EngramRetriever } from 'engram-memory/langchain';

/**
 * A chat for one user: each question brings what Engram remembers about them
 * (the retriever), and each conversation is kept in Engram (the history), where
 * it becomes searchable memory too.
 */
export function memoryChat(memory: Memory, model: BaseChatModel, userId: string) {
  const retriever = new EngramRetriever({ memory, userId, search: { limit: 5 } });
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'You are a helpful assistant. What you remember about the user:\n{memories}'],
    new MessagesPlaceholder('history'),
    ['human', '{question}'],
  ]);
  const chain = RunnablePassthrough.assign({
    memories: async ({ question }: { question: string }) => (await retriever.invoke(question)).map((doc) => `- ${doc.pageContent}`).join('\n'),
  })
    .pipe(prompt)
    .pipe(model)
    .pipe(new StringOutputParser());
  return new RunnableWithMessageHistory({
    runnable: chain,
    getMessageHistory: (sessionId: string) => new EngramChatMessageHistory({ memory, userId, runId: sessionId }),
    inputMessagesKey: 'question',
    historyMessagesKey: 'history',
  });
}
