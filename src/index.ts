export { Memory, type AddResult, type QueuedAdd } from './memory.js';
export type { Job } from './job.js';
export { MemoryOptionsSchema, type MemoryOptions } from './memory-options.js';
export type { Storage, StorageTransaction, Candidates, CandidateQuery } from './storage/storage.js';
export { PostgresStorage, type PostgresStorageOptions } from './engines/postgres/postgres-storage.js';
export { PolicySchema, DenyRuleSchema, BUILT_IN_DENY_RULES, type Policy, type DenyRule, type BuiltInDenyRule } from './policy.js';
export { EngramError, ERROR_CODES, ERROR_HINTS, isEngramError, type ErrorCode, type ErrorHint } from './errors.js';
export type { Embedder, EmbedPurpose } from './embed/embedder.js';
export { TransformersEmbedder, type TransformersEmbedderOptions } from './embed/transformers-embedder.js';
export { OpenAiCompatibleEmbedder, type OpenAiCompatibleEmbedderOptions } from './embed/openai-compatible-embedder.js';
export type { Reranker } from './rerank/reranker.js';
export { TransformersReranker, type TransformersRerankerOptions } from './rerank/transformers-reranker.js';
export type { Llm, LlmRequest, ChatMessage, JsonSchema } from './llm/llm.js';
export { LlamaCppLlm, type LlamaCppLlmOptions, type LlmUsage } from './llm/llama-cpp-llm.js';
export { OpenAiCompatibleLlm, type OpenAiCompatibleLlmOptions } from './llm/openai-compatible-llm.js';
export { defaultLlmThreads } from './llm/default-threads.js';
export { OPERATIONS_JSON_SCHEMA, GRAPH_OPERATIONS_JSON_SCHEMA } from './pipeline/operations.js';
export { MemoryGraph } from './memory-graph.js';
export type { Entity, Relation, Neighbourhood, GraphEntitiesOptions, GraphRelationsOptions, GraphNeighboursOptions } from './graph/graph-schema.js';
export type { EntityType } from './storage/graph-records.js';
export type { PromptContext } from './pipeline/context.js';
export type { ImportProgress, ImportResult } from './pipeline/import.js';
export { ExportRecordSchema, EXPORT_FORMAT_VERSION, type ExportRecord } from './export-format.js';
export { LIMITS } from './limits.js';
export type { MetadataFilter, FieldOperators, FilterValue } from './filter.js';
export {
  MessageSchema,
  ScopeSchema,
  MemoryItemSchema,
  ScoredMemorySchema,
  MemoryEventSchema,
  HistoryEntrySchema,
  JobStatusSchema,
  ChangedBySchema,
  AddOptionsSchema,
  SearchOptionsSchema,
  ContextOptionsSchema,
  GetAllOptionsSchema,
  type AddOptions,
  type ContextOptions,
  type GetAllOptions,
  type HistoryEntry,
  type MemoryEvent,
  type MemoryItem,
  type MemoryKind,
  type Message,
  type Metadata,
  type Scope,
  type ScoredMemory,
  type ScopeOwner,
  type ScopesOptions,
  type MessagesOptions,
  type LoggedMessage,
  type SearchOptions,
  type UpdateOptions,
  type DeleteOptions,
  type PurgeExpiredOptions,
  type ExportOptions,
  type ChangedBy,
  type SourcesOptions,
} from './schema.js';
export type { ErasedCounts } from './storage/storage.js';
