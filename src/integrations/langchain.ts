/**
 * `engram-memory/langchain`: Engram for LangChain.js (`@langchain/core` 1.x):
 * a retriever over a scope's memories, and a chat message history kept as
 * memories. Needs the optional peer dependency `@langchain/core`.
 */
export { EngramRetriever, EngramRetrieverOptionsSchema, type EngramRetrieverOptions, type EngramDocumentMetadata } from './langchain-retriever.js';
export { EngramChatMessageHistory, EngramChatMessageHistoryOptionsSchema, CHAT_ROLE_KEY, type EngramChatMessageHistoryOptions } from './langchain-history.js';
