import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { z } from 'zod';
import { ScopeSchema, type Memory, type ScoredMemory, type SearchOptions } from '../index.js';
import { memoryOf, parseOptions, passThrough, requireScope } from './integration-options.js';

export const EngramRetrieverOptionsSchema = ScopeSchema.extend({
  memory: memoryOf<Pick<Memory, 'search'>>(),
  /** Memory.search's options (limit, threshold, filters, mode, rerank…). @default Memory.search's defaults (limit 10, hybrid) */
  search: passThrough<SearchOptions>('search').default({}),
});
export type EngramRetrieverOptions = z.input<typeof EngramRetrieverOptionsSchema>;

/** What each Document says about its memory, beside the memory's text (its pageContent). */
export type EngramDocumentMetadata = {
  id: string;
  score: number;
  kind: ScoredMemory['kind'];
  createdAt: string;
  updatedAt: string;
  /** Since when the memory holds. */
  validFrom: string;
  userId?: string;
  agentId?: string;
  runId?: string;
  /** The memory's own metadata. */
  metadata: Record<string, unknown>;
};

/**
 * A LangChain.js retriever over one scope's memories: `invoke(query)` gives
 * the memories that best answer it, best first, as Documents (pageContent:
 * the memory; metadata: its id, score, dates, scope and own metadata).
 * @example
 * const retriever = new EngramRetriever({ memory, userId: 'alice', search: { limit: 5 } });
 * const docs = await retriever.invoke('what does she eat?');
 */
export class EngramRetriever extends BaseRetriever<EngramDocumentMetadata> {
  static override lc_name(): string {
    return 'EngramRetriever';
  }

  override lc_namespace = ['engram', 'retrievers'];
  private readonly memory: Pick<Memory, 'search'>;
  private readonly search: Omit<SearchOptions, 'userId' | 'agentId' | 'runId'>;
  private readonly scope: ReturnType<typeof requireScope>;

  constructor(fields: EngramRetrieverOptions & BaseRetrieverInput) {
    const { callbacks, tags, metadata, verbose, ...own } = fields;
    super({ callbacks, tags, metadata, verbose });
    const opts = parseOptions(EngramRetrieverOptionsSchema, own, 'fields');
    this.memory = opts.memory;
    this.search = opts.search;
    this.scope = requireScope(opts, 'EngramRetriever');
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document<EngramDocumentMetadata>[]> {
    const { results } = await this.memory.search(query, { ...this.search, ...this.scope });
    return results.map((m) => new Document({ id: m.id, pageContent: m.memory, metadata: documentMetadata(m) }));
  }
}

function documentMetadata(m: ScoredMemory): EngramDocumentMetadata {
  return {
    id: m.id,
    score: m.score,
    kind: m.kind,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    validFrom: m.validFrom,
    ...(m.userId === undefined ? {} : { userId: m.userId }),
    ...(m.agentId === undefined ? {} : { agentId: m.agentId }),
    ...(m.runId === undefined ? {} : { runId: m.runId }),
    metadata: m.metadata,
  };
}
