import { z } from 'zod';
import { createEmbedder, EmbedderOptionSchema } from './embed/create-embedder.js';
import { embedChecked, type Embedder } from './embed/embedder.js';
import { QueryCache } from './embed/query-cache.js';
import { EngramError } from './errors.js';
import { createLlm } from './llm/create-llm.js';
import { DEFAULT_LLM, isPostgresUrl, MemoryOptionsSchema, PathSchema, type MemoryOptions } from './memory-options.js';
import type { Llm } from './llm/llm.js';
import { addRaw } from './pipeline/add-raw.js';
import { MemoryGraph } from './memory-graph.js';
import type { Relation } from './graph/graph-schema.js';
import { queryEntities, queryNames, type GraphSearch, type QueryEntities } from './pipeline/graph/entity-signal.js';
import { describeRelations } from './pipeline/graph/graph-queries.js';
import { GraphWriter, retireRelationsOf } from './pipeline/graph/graph-writer.js';
import { reindexFile } from './store/reindex-file.js';
import { rerank, rerankPool } from './pipeline/rerank.js';
import { createReranker } from './rerank/create-reranker.js';
import type { Reranker } from './rerank/reranker.js';
import { estimateTokens, formatContext, type PromptContext } from './pipeline/context.js';
import { importLines, type ImportProgress, type ImportResult } from './pipeline/import.js';
import type { ExportRecord } from './export-format.js';
import { ScopeQueue } from './pipeline/scope-queue.js';
import { JobRunner } from './pipeline/job-runner.js';
import { toExportJob, toJob, type Job } from './job.js';
import { LlamaCppLlm } from './llm/llama-cpp-llm.js';
import { newId } from './ids.js';
import type { JobRecord, JobResult } from './storage/job-records.js';
import { retrieve } from './pipeline/retrieve.js';
import { timeOptions } from './pipeline/query-time.js';
import { toLoggedMessage, withSources } from './pipeline/sources.js';
import { compileDenyList, type DenyList } from './pipeline/deny-rules.js';
import { effectivePolicy, parsePolicy, readPolicy } from './pipeline/store-policy.js';
import { UseRecorder } from './pipeline/use-recorder.js';
import { expiryRule } from './pipeline/expiry.js';
import { PolicySchema, scopedPolicyProblem, type Policy } from './policy.js';
import { DEFAULT_NEIGHBOURS, neighbourOptions, withNeighbours } from './pipeline/neighbours.js';
import {
  AddOptionsSchema,
  ContextOptionsSchema,
  FlushOptionsSchema,
  GetAllOptionsSchema,
  JobListOptionsSchema,
  MemoryIdSchema,
  MessagesSchema,
  ScopeSchema,
  ScopesOptionsSchema,
  MessagesOptionsSchema,
  SearchOptionsSchema,
  TextSchema,
  UpdateOptionsSchema,
  DeleteOptionsSchema,
  PurgeExpiredOptionsSchema,
  type PurgeExpiredOptions,
  ExportOptionsSchema,
  SourcesOptionsSchema,
  type AddOptions,
  type DeleteOptions,
  type ExportOptions,
  type SourcesOptions,
  type ContextOptions,
  type FlushOptions,
  type GetAllOptions,
  type ScopeOwner,
  type ScopesOptions,
  type MessagesOptions,
  type LoggedMessage,
  type JobListOptions,
  type HistoryEntry,
  type MemoryEvent,
  type MemoryItem,
  type Message,
  type Scope,
  type ScoredMemory,
  type SearchOptions,
  type UpdateOptions,
} from './schema.js';
import { rekeyDatabase } from './store/rekey.js';
import type { ErasedCounts, Storage, StorageTransaction } from './storage/storage.js';
import { openStorage } from './open-storage.js';
import { cleanText, textHash } from './text-hash.js';
import { toEpochMs, toIso } from './time.js';
import { withTimeBounds, type FilterNode } from './filter.js';
import { isInScope, scopeOf } from './scope.js';
import { requireScope, validate } from './validate.js';



/**
 * Long-term memory for an assistant, in one SQLite file.
 *
 * @example
 * await using memory = await Memory.open({ path: 'memory.db', embedder: { model: 'models/test/embedding' } });
 * await memory.add('I am allergic to penicillin', { userId: 'alice', infer: false });
 * const { results } = await memory.search('what medication should I avoid?', { userId: 'alice' });
 */
export class Memory {
  private closed = false;
  private readonly queryCache = new QueryCache();

  private constructor(
    private readonly storage: Storage,
    private readonly ownsStorage: boolean,
    private readonly embedder: Embedder,
    private readonly ownsEmbedder: boolean,
    private readonly llm: Llm | undefined,
    private readonly ownsLlm: boolean,
    private readonly reranker: { reranker: Reranker; owned: boolean } | undefined,
    /** Works the extraction queue; there is none without an LLM (another process's worker may work the jobs this Memory queues). */
    private readonly runner: JobRunner | undefined,
    /** How this Memory uses the entity graph in search; undefined when it keeps none (`graph` option). */
    private readonly graphSearch: GraphSearch | undefined,
  ) {
    this.graph = new MemoryGraph(storage, embedder, () => this.assertOpen());
    this.uses = new UseRecorder(storage);
  }

  /** Whether `search` can rerank (a cross-encoder was given: `Memory.open({ reranker })`). */
  get canRerank(): boolean {
    return this.reranker !== undefined;
  }

  /** Whether this Memory keeps the entity graph: links what adds name, asks the LLM for relations (`graph` option). */
  get keepsGraph(): boolean {
    return this.graphSearch !== undefined;
  }

  /** Orders a process's adds without inference per scope (inferring adds are ordered by the queue). */
  private readonly queue = new ScopeQueue();
  /** The entity graph: entities, relations, neighbourhoods (kept when the Memory was opened with `graph: true`). */
  readonly graph: MemoryGraph;
  private readonly workerErrorListeners = new Set<(error: unknown) => void>();
  /** Marks what searches return as used (a policy's trackAccess). */
  private readonly uses: UseRecorder;

  /** Opens (or creates) a memory store. Models load lazily, on first use. */
  static async open(options: MemoryOptions): Promise<Memory> {
    const config = validate(MemoryOptionsSchema, options, 'options');
    const { embedder, owned } = await createEmbedder(config.embedder);
    // An explicit LLM file must exist now; the default one is only needed by the first inferring add.
    const { llm, owned: ownsLlm } = createLlm(config.llm === undefined ? DEFAULT_LLM : config.llm, config.llm !== undefined);
    const storage = config.storage ?? await openStorage({
      path: config.path as string,
      create: config.create,
      busyTimeoutMs: config.busyTimeoutMs,
      encryptionKey: config.encryptionKey,
      searchIndexBytes: config.searchIndexMiB * 2 ** 20,
    });
    try {
      await storage.bindEmbeddingModel(embedder.id, embedder.dimension);
    } catch (error) {
      if (!config.storage) await storage.close();
      throw error;
    }
    const reranker = config.reranker === undefined ? undefined : createReranker(config.reranker);
    const graph = config.graph === false ? undefined : config.graph === true ? { weight: 0.1, depth: 1 } : { weight: config.graph.searchWeight, depth: config.graph.searchDepth };
    // The default LLM file may be missing on a machine that only searches: such a process works no one's queue.
    const background = config.queue.worker && (config.llm !== undefined || !(llm instanceof LlamaCppLlm) || llm.hasModelFile());
    let memory: Memory | undefined;
    const runner = llm
      ? new JobRunner({ storage, embedder, llm, graph: graph !== undefined }, { ...config.queue, background }, (error) => memory?.reportWorkerError(error))
      : undefined;
    memory = new Memory(storage, config.storage === undefined, embedder, owned, llm, ownsLlm, reranker, runner, graph);
    runner?.start();
    return memory;
  }

  /**
   * Remembers what matters in messages. A string is one user message.
   *
   * With `infer: true` (the default) one call to the local LLM decides which
   * facts to ADD and which existing memories of the scope to UPDATE, DELETE or
   * leave alone (NONE); updates and deletions close the old version, never
   * erase it. With `kind: 'procedural'` (and an agentId) the messages are an
   * agent's run, summarized into one procedural memory.
   *
   * With `infer: false` every user and assistant message is stored as said.
   * Either way a text already current in the same scope is not stored twice
   * (event NONE), and adds to one scope run one at a time, in order.
   *
   * An inferring add is an extraction job, stored with its messages in one
   * transaction: with `wait: false` add returns `{ jobId, status: 'queued' }`
   * at once and a worker applies it (see `job`, `flush`, `onJob`); by default
   * add waits for it, and if the model fails, nothing of the add stays and the
   * error is thrown.
   *
   * `droppedOperations` counts model operations Engram refused (unknown ids,
   * empty texts, decisions overtaken by another writer).
   */
  async add(messages: string | Message[], options: AddOptions & { wait: false }): Promise<QueuedAdd>;
  async add(messages: string | Message[], options: AddOptions & { wait?: true | undefined }): Promise<AddResult>;
  async add(messages: string | Message[], options: AddOptions): Promise<AddResult | QueuedAdd>;
  async add(messages: string | Message[], options: AddOptions): Promise<AddResult | QueuedAdd> {
    this.assertOpen();
    const opts = validate(AddOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'add');
    // The deny rules apply before anything is logged: the raw text never reaches the file or the model.
    const policy = await this.storage.transaction('read', 'reading the policy', (tx) => effectivePolicy(tx, scope));
    const deny = compileDenyList(policy);
    const redacted = validate(MessagesSchema, messages, 'messages').map((m) => ({ ...m, content: deny.redact(m.content).text }));
    // Checked again: what is stored must fit the limits (and so export and import) after redaction too.
    const list = validate(MessagesSchema, redacted, 'messages');
    const now = Date.now();
    requireFuture(opts.expiresAt, now);
    if (!opts.infer) {
      if (!opts.wait) throw new EngramError('INVALID_INPUT', 'options.wait: false queues the LLM\'s work; with infer: false the messages are stored at once, so leave wait out');
      const expiry = expiryRule(opts.expiresAt, policy);
      const results = await this.queue.run(scope, () => addRaw(this.storage, this.embedder, { messages: list, scope, metadata: opts.metadata ?? {}, now, kind: opts.kind, graph: this.keepsGraph, expiry }));
      return { results, droppedOperations: 0 };
    }
    const procedural = opts.kind === 'procedural';
    if (procedural && scope.agentId === undefined) {
      throw new EngramError('INVALID_INPUT', "procedural memories belong to an agent: pass agentId with kind: 'procedural'");
    }
    if (opts.wait && !this.runner) {
      throw new EngramError('LLM_NOT_CONFIGURED', 'add() with infer: true needs an LLM and this Memory has none (llm: null); pass { infer: false } to store messages as said, or { wait: false } to queue the add for another process\'s worker', {
        hint: 'no-llm',
      });
    }
    const jobId = newId(now);
    await this.storage.transaction('write', 'queueing an add', async (tx) => {
      const messageIds = await tx.appendMessages(
        scope,
        list.map((m) => ({ role: m.role, name: m.name ?? null, content: m.content, createdAt: toEpochMs(m.createdAt) ?? now })),
        now,
      );
      await tx.insertJob({ id: jobId, scope, kind: procedural ? 'procedure' : 'extract', messageIds, metadata: opts.metadata ?? {}, createdAt: now, expiresAt: opts.expiresAt ?? null });
    });
    if (!opts.wait) {
      this.runner?.kick();
      return { jobId, status: 'queued' };
    }
    return (this.runner as JobRunner).waitFor({ id: jobId, scope });
  }

  /** A queued add (see add with `wait: false`), or null when there is none with this id in `scope`. */
  async job(id: string, scope: Scope = {}): Promise<Job | null> {
    this.assertOpen();
    const jobId = validate(MemoryIdSchema, id, 'id');
    const within = validate(ScopeSchema, scope, 'scope');
    const record = await this.storage.transaction('read', 'reading a queued add', (tx) => tx.job(jobId));
    return record && isInScope(record.scope, within) ? toJob(record) : null;
  }

  /** Queued adds, newest first: of a scope (and everything under it), or all with no scope; `status` narrows them. */
  async jobs(options: JobListOptions = {}): Promise<{ results: Job[]; counts: Record<Job['status'], number> }> {
    this.assertOpen();
    const opts = validate(JobListOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    return this.storage.transaction('read', 'listing queued adds', async (tx) => ({
      results: (await tx.listJobs({ scope, status: opts.status, limit: opts.limit, offset: opts.offset })).map(toJob),
      counts: await tx.jobCounts(scope),
    }));
  }

  /**
   * Waits until no add of the scope (or of any scope) is queued or running,
   * working the queue meanwhile when this Memory has an LLM. TIMEOUT after
   * `timeoutMs`; nothing is cancelled. Returns the jobs per status.
   */
  async flush(options: FlushOptions = {}): Promise<Record<Job['status'], number>> {
    this.assertOpen();
    const opts = validate(FlushOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    const deadline = Date.now() + opts.timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      this.assertOpen();
      const counts = await this.storage.transaction('read', 'counting queued adds', (tx) => tx.jobCounts(scope));
      if (counts.queued + counts.running === 0) return counts;
      if (Date.now() >= deadline) {
        throw new EngramError('TIMEOUT', `${counts.queued} queued and ${counts.running} running adds still unfinished after ${opts.timeoutMs} ms${this.runner ? '' : ' (this Memory has no LLM: is a worker running?)'}`, {
          details: { ...counts },
        });
      }
      await this.runner?.fill(Object.keys(scope).length > 0 ? { under: scope } : undefined);
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
    }
  }

  /** Queues a failed or cancelled add again, its attempts reset. NOT_FOUND when it is not failed or cancelled (or outside `scope`). */
  async retryJob(id: string, scope: Scope = {}): Promise<Job> {
    return this.changeJob(id, scope, ['failed', 'cancelled'], 'retried', (now) => ({ status: 'queued', attempts: 0, notBefore: now, error: null, finishedAt: null, updatedAt: now }));
  }

  /**
   * Cancels a queued add: it will not be applied (its messages stay logged).
   * A running one is cancelled too; what its worker was about to write is
   * thrown away. NOT_FOUND when it already finished (or is outside `scope`).
   */
  async cancelJob(id: string, scope: Scope = {}): Promise<Job> {
    return this.changeJob(id, scope, ['queued', 'running'], 'cancelled', (now) => ({ status: 'cancelled', leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now }));
  }

  /** Calls `listener` with each queued add this Memory's worker finishes (done or failed); returns the unsubscribe. */
  onJob(listener: (job: Job) => void): () => void {
    return this.runner?.onFinished((record) => listener(toJob(record))) ?? (() => undefined);
  }

  /** Calls `listener` when this Memory's worker cannot work (no model file, a locked store): it pauses and tries again later. */
  onWorkerError(listener: (error: unknown) => void): () => void {
    this.workerErrorListeners.add(listener);
    return () => this.workerErrorListeners.delete(listener);
  }

  private reportWorkerError(error: unknown): void {
    for (const listener of this.workerErrorListeners) listener(error);
  }

  private async changeJob(
    id: string,
    scope: Scope,
    from: Job['status'][],
    doing: string,
    change: (now: number) => Parameters<StorageTransaction['updateJob']>[1],
  ): Promise<Job> {
    this.assertOpen();
    const jobId = validate(MemoryIdSchema, id, 'id');
    const within = validate(ScopeSchema, scope, 'scope');
    const job = await this.storage.transaction('write', `${doing.replace(/ed$/u, 'ing')} a queued add`, async (tx) => {
      const current = await tx.job(jobId);
      if (!current || !isInScope(current.scope, within)) throw new EngramError('NOT_FOUND', `no queued add with id ${jobId}`);
      if (!from.includes(current.status)) throw new EngramError('NOT_FOUND', `the add ${jobId} is ${current.status}; only a ${from.join(' or ')} one can be ${doing}`);
      const now = Date.now();
      const patch = change(now);
      await tx.updateJob(jobId, patch);
      return { ...current, ...patch };
    });
    this.runner?.kick();
    return toJob(job);
  }

  /**
   * The memories of a scope that best answer `query`, best first, each with a
   * `score` in [0, 1]. Hybrid by default: meaning (vectors) and words (BM25),
   * weighed together. @default options.limit 10, options.mode 'hybrid'
   */
  async search(query: string, options: SearchOptions): Promise<{ results: ScoredMemory[]; relations?: Relation[] }> {
    this.assertOpen();
    const text = validate(TextSchema, query, 'query');
    const opts = validate(SearchOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'search');
    const reranker = opts.rerank ? this.requireReranker() : undefined;
    const queryVector = opts.mode === 'keyword' ? undefined : await this.embedQuery(text);
    this.assertOpen();
    const at = toEpochMs(opts.asOf);
    const useGraph = opts.graph ?? this.graphSearch !== undefined;
    const { weight, depth } = this.graphSearch ?? { weight: 0.1, depth: 1 };
    // A query that names nothing the linker recognizes skips the graph's reads (about half of its cost).
    const names = useGraph ? queryNames(text) : [];
    // A query that names nothing the linker recognizes skips the graph's reads (about half of its cost).
    let graph: { entities: QueryEntities; relations: Relation[] } | undefined;
    if (useGraph) {
      const entities = await queryEntities(this.storage, this.embedder, names, scope, depth, at);
      const relations = entities.relations.length === 0 ? [] : await this.storage.transaction('read', 'reading the graph', (tx) => describeRelations(tx, entities.relations));
      graph = { entities, relations };
    }
    const neighbours = neighbourOptions(opts.neighbours ?? (opts.mode === 'hybrid'));
    const found = await retrieve(this.storage, {
          query: text,
          queryVector,
          scope,
          limit: reranker ? rerankPool(opts.limit) : opts.limit,
          mode: opts.mode,
          threshold: reranker ? undefined : opts.threshold,
          filter: filterOf(opts),
          at,
          explain: opts.explain,
          fusion: opts.fusion,
          vectorWeight: opts.vectorWeight,
          recency: opts.recency,
          importance: opts.importance,
          neighbours,
          time: timeOptions(opts.time ?? (opts.mode === 'hybrid'), text, toEpochMs(opts.referenceDate) ?? at ?? Date.now()),
          exact: opts.exact,
          graph: graph && { entities: graph.entities, weight },
        });
    const ranked = reranker ? await rerank(reranker, text, found, { limit: opts.limit, threshold: opts.threshold, explain: opts.explain }) : found;
    // What a search into the past returns is not in use now.
    if (at === undefined) this.uses.note(ranked.map((r) => r.id), Date.now());
    const around = opts.withNeighbours ? await withNeighbours(this.storage, ranked, { ...(neighbours ?? DEFAULT_NEIGHBOURS), at, filter: filterOf(opts) }) : ranked;
    const results = opts.withSources ? await withSources(this.storage, around, at) : around;
    return graph ? { results, relations: graph.relations } : { results };
  }

  /**
   * The best memories for `query`, formatted for injection into an LLM prompt
   * (one dated line each, best first) within `maxTokens`.
   * @example
   * const { text } = await memory.contextFor(userMessage, { userId, maxTokens: 300 });
   * const system = `You are a helpful assistant.\n\n${text}`;
   */
  async contextFor(query: string, options: ContextOptions): Promise<PromptContext> {
    const { maxTokens, header, countTokens, limit, withNeighbours } = validate(ContextOptionsSchema, options, 'options');
    // The search options go to search() as given: it validates (and parses filters) itself.
    const { maxTokens: _budget, header: _header, countTokens: _counter, ...search } = options;
    const { results } = await this.search(query, { ...search, limit, withNeighbours });
    return formatContext(results, { maxTokens, header, countTokens: countTokens ?? estimateTokens });
  }

  /**
   * One current memory, or null if there is none with this id (never stored,
   * or deleted). With a `scope`, a memory outside it is null too: the id
   * operations (get, update, delete, history) take the caller's scope so that
   * knowing an id never reaches another user's memory.
   */
  async get(id: string, scope: Scope = {}): Promise<MemoryItem | null> {
    this.assertOpen();
    const memoryId = validate(MemoryIdSchema, id, 'id');
    const within = validate(ScopeSchema, scope, 'scope');
    const item = await this.storage.transaction('read', 'reading a memory', (tx) => tx.memory(memoryId));
    return item && isInScope(item, within) ? item : null;
  }

  /** The current memories of a scope, newest first. @default options.limit 100 */
  async getAll(options: GetAllOptions): Promise<{ results: MemoryItem[] }> {
    this.assertOpen();
    const opts = validate(GetAllOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'getAll');
    const results = await this.storage.transaction('read', 'listing memories', (tx) =>
      tx.list(scope, { filter: filterOf(opts), limit: opts.limit, offset: opts.offset, at: toEpochMs(opts.asOf) }),
    );
    return { results };
  }

  /**
   * The messages logged in exactly this scope (every add logs what it was
   * given, stored as memories or not, repeated texts too), the last `limit`
   * of them oldest first; `before` pages back. A conversation as it was said.
   * @default options.limit 100
   */
  async messages(options: MessagesOptions): Promise<{ results: LoggedMessage[] }> {
    this.assertOpen();
    const opts = validate(MessagesOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'messages');
    const rows = await this.storage.transaction('read', 'reading logged messages', (tx) => tx.recentMessages(scope, opts.limit, opts.before));
    return { results: rows.map(toLoggedMessage) };
  }

  /** The policy kept with the store (what it may hold), or with exactly this scope (a user, agent or run); null when there is none. */
  async policy(scope: Scope = {}): Promise<Policy | null> {
    this.assertOpen();
    const within = validate(ScopeSchema, scope, 'scope');
    return (await this.storage.transaction('read', 'reading the policy', (tx) => readPolicy(tx, within))) ?? null;
  }

  /**
   * The policy that applies to what is added in `scope`: the store's, then
   * the policies of the scopes at and above it (the user's, then the agent's,
   * the run's…), a narrower one's fields replacing a broader one's; deny rules
   * add up. Null when none applies.
   */
  async effectivePolicy(scope: Scope): Promise<Policy | null> {
    this.assertOpen();
    const within = validate(ScopeSchema, scope, 'scope');
    return (await this.storage.transaction('read', 'reading the policy', (tx) => effectivePolicy(tx, within))) ?? null;
  }

  /**
   * Keeps a policy with the store: custom instructions, topics to include and
   * exclude (they guide the model), and deny rules (enforced: redacted from
   * every message before it is logged or shown to the model, and a fact the
   * model states that breaks one is dropped). Every process adding to this
   * store or working its queue applies it from its next add. `null` removes
   * it. Memories stored before are not changed. With a `scope`, the policy is
   * that user's, agent's or run's own (see effectivePolicy); forgetting the
   * scope erases it.
   */
  async setPolicy(policy: Policy | null, scope: Scope = {}): Promise<void> {
    this.assertOpen();
    const within = validate(ScopeSchema, scope, 'scope');
    const parsed = policy === null ? undefined : validate(PolicySchema, policy, 'policy');
    const problem = parsed && scopedPolicyProblem(parsed, within);
    if (problem) throw new EngramError('INVALID_INPUT', `policy: ${problem}`);
    await this.storage.transaction('write', 'setting the policy', (tx) => tx.setPolicy(parsed === undefined ? undefined : JSON.stringify(parsed), within));
    this.uses.policyChanged();
  }

  /** The deny rules that apply to a memory's scope (or to the store, for a memory that is not there). */
  private async denyListOf(memoryId: string): Promise<DenyList> {
    const policy = await this.storage.transaction('read', 'reading the policy', async (tx) => {
      const item = await tx.memory(memoryId);
      return item ? effectivePolicy(tx, scopeOf(item)) : readPolicy(tx);
    });
    return compileDenyList(policy);
  }

  private async exportPolicies(scope: Scope | undefined): Promise<ExportRecord[]> {
    return this.storage.transaction('read', 'exporting the policies', async (tx) => {
      const records: ExportRecord[] = [];
      const own = scope === undefined ? await readPolicy(tx) : undefined;
      if (own) records.push({ type: 'policy', policy: own });
      for (const kept of await tx.scopePolicies(scope)) records.push({ type: 'policy', ...kept.scope, policy: parsePolicy(kept.json, kept.scope) });
      return records;
    });
  }

  /**
   * The logged messages a memory was stored from (its provenance): those of
   * the version current now, or at `asOf`. Empty for a memory whose messages
   * were not kept (imported without them). With scope fields, a memory
   * outside that scope is NOT_FOUND.
   */
  async sources(id: string, options: SourcesOptions = {}): Promise<LoggedMessage[]> {
    this.assertOpen();
    const memoryId = validate(MemoryIdSchema, id, 'id');
    const { asOf, ...within } = validate(SourcesOptionsSchema, options, 'options');
    const rows = await this.storage.transaction('read', 'reading source messages', async (tx) => {
      const owner = await tx.scopeOfMemory(memoryId);
      if (!owner || !isInScope(owner, within)) throw notFound(memoryId);
      return (await tx.sourceMessages([memoryId], toEpochMs(asOf))).get(memoryId) ?? [];
    });
    return rows.map(toLoggedMessage);
  }

  /** How many memories `getAll` would list across all its pages (`limit` and `offset` are ignored). */
  async count(options: GetAllOptions): Promise<number> {
    this.assertOpen();
    const opts = validate(GetAllOptionsSchema, options, 'options');
    const scope = scopeOf(opts);
    requireScope(scope, 'count');
    return this.storage.transaction('read', 'counting memories', (tx) => tx.count(scope, { filter: filterOf(opts), at: toEpochMs(opts.asOf) }));
  }

  /**
   * Every user, agent and run holding current memories (what Mem0 calls its
   * entities), most recently changed first, with how many memories each holds.
   * Across all scopes: for whoever runs the store (an operator, a REST server
   * with a token), not for one end user. `total` counts them all. @default options.limit 100
   */
  async scopes(options: ScopesOptions = {}): Promise<{ results: ScopeOwner[]; total: number }> {
    this.assertOpen();
    const { limit, offset } = validate(ScopesOptionsSchema, options, 'options');
    const { owners, total } = await this.storage.transaction('read', 'listing users, agents and runs', (tx) => tx.scopeOwners({ limit, offset }));
    return { results: owners.map((row) => ({ ...row, createdAt: toIso(row.createdAt), updatedAt: toIso(row.updatedAt) })), total };
  }

  /**
   * Rewrites a memory (re-embedding it) and, if given, replaces its metadata.
   * The id stays; the old version is closed, not overwritten: `history` and
   * `asOf` reads still show it. With scope fields in `options`, a memory
   * outside that scope is NOT_FOUND (checked again inside the write).
   */
  async update(id: string, text: string, options: UpdateOptions = {}): Promise<MemoryItem> {
    this.assertOpen();
    const memoryId = validate(MemoryIdSchema, id, 'id');
    const opts = validate(UpdateOptionsSchema, options, 'options');
    const newText = cleanText(validate(TextSchema, (await this.denyListOf(memoryId)).redact(validate(TextSchema, text, 'text')).text, 'text'));
    const within = scopeOf(opts);
    const current = await this.requireCurrent(memoryId, within);
    requireVersion(current, opts.ifVersion);
    const metadata = opts.metadata ?? current.metadata;
    requireFuture(opts.expiresAt ?? undefined, Date.now());
    const expiresAt = opts.expiresAt;
    const sameExpiry = expiresAt === undefined || expiresAt === toEpochMs(current.expiresAt) || (expiresAt === null && current.expiresAt === undefined);
    if (newText === current.memory && JSON.stringify(metadata) === JSON.stringify(current.metadata) && sameExpiry) return current;
    const embedding = newText === current.memory ? undefined : (await embedChecked(this.embedder, [newText]))[0];
    const hash = textHash(newText);
    const graphWriter = this.keepsGraph && embedding ? await GraphWriter.prepare(this.embedder, [{ text: newText, relations: [] }]) : undefined;
    return this.storage.transaction('write', 'updating a memory', async (tx) => {
      const duplicate = await tx.currentMemoryByHash(scopeOf(current), hash);
      if (duplicate && duplicate.id !== memoryId) {
        throw new EngramError('INVALID_INPUT', `memory ${duplicate.id} in the same scope already says this; delete one of them instead`, {
          details: { duplicateOf: duplicate.id },
        });
      }
      const now = Date.now();
      const latest = await tx.memory(memoryId);
      if (latest === undefined || !isInScope(latest, within)) throw notFound(memoryId);
      // Checked again inside the write: a change that landed while the text was embedded counts too.
      requireVersion(latest, opts.ifVersion);
      const updated = await tx.reviseMemory(memoryId, { text: newText, hash, metadata, embedding, validFrom: now, expiresAt }, now, opts.changedBy ?? 'api');
      if (!updated) throw notFound(memoryId);
      // The relations the old text stated end now; the new text's names are linked again (without the graph: unlinked).
      if (graphWriter) await graphWriter.in(tx, scopeOf(current), now).record(memoryId, 0, now, []);
      else if (embedding) {
        await retireRelationsOf(tx, scopeOf(current), memoryId, now, now);
        await tx.setMentions(memoryId, []);
      }
      return updated;
    });
  }

  /**
   * Deletes a memory: it leaves search and getAll; its history stays. With
   * scope fields in `options`, a memory outside that scope is NOT_FOUND;
   * ownership is checked inside the write transaction, so no other writer can
   * slip in between check and act.
   */
  async delete(id: string, options: DeleteOptions = {}): Promise<void> {
    this.assertOpen();
    const memoryId = validate(MemoryIdSchema, id, 'id');
    const { changedBy, ifVersion, ...within } = validate(DeleteOptionsSchema, options, 'options');
    await this.storage.transaction('write', 'deleting a memory', async (tx) => {
      const now = Date.now();
      const current = await tx.memory(memoryId);
      if (current === undefined || !isInScope(current, within)) throw notFound(memoryId);
      requireVersion(current, ifVersion);
      if (!(await tx.closeMemory(memoryId, now, changedBy ?? 'api'))) throw notFound(memoryId);
      await retireRelationsOf(tx, (await tx.scopeOfMemory(memoryId)) as Scope, memoryId, now, now);
    });
  }

  /** Deletes every current memory of exactly this scope (all of a user's, or narrower); nothing else. */
  async deleteAll(scope: Scope): Promise<{ deleted: number }> {
    this.assertOpen();
    const parsed = validate(ScopeSchema, scope, 'scope');
    requireScope(parsed, 'deleteAll');
    const deleted = await this.storage.transaction('write', 'deleting memories', async (tx) => {
      const now = Date.now();
      const ids = await tx.currentIds(parsed);
      for (const id of ids) {
        await tx.closeMemory(id, now, 'api');
        await retireRelationsOf(tx, parsed, id, now, now);
      }
      return ids.length;
    });
    return { deleted };
  }

  /** Every change to a memory, oldest first; also for deleted memories. With a `scope`, a memory outside it is NOT_FOUND. */
  async history(id: string, scope: Scope = {}): Promise<HistoryEntry[]> {
    this.assertOpen();
    const memoryId = validate(MemoryIdSchema, id, 'id');
    const within = validate(ScopeSchema, scope, 'scope');
    return this.storage.transaction('read', 'reading history', async (tx) => {
      const owner = await tx.scopeOfMemory(memoryId);
      if (!owner || !isInScope(owner, within)) throw new EngramError('NOT_FOUND', `no memory with id ${memoryId}`);
      return tx.history(memoryId);
    });
  }

  /**
   * Erases expired memories for good, as `forget` would (see `expiresAt` on
   * add and the policy's `expireAfterDays`): every version, the history, what
   * they named and stated in the entity graph (entities left naming nothing go
   * too) and the logged messages only they cited. Until then an expired memory
   * is out of searches and lists but still in history and `asOf` reads. With
   * scope fields, only that scope (and everything under it). `dryRun: true`
   * erases nothing and says what a purge would erase.
   */
  async purgeExpired(options: PurgeExpiredOptions = {}): Promise<ErasedCounts> {
    this.assertOpen();
    const { dryRun, ...fields } = validate(PurgeExpiredOptionsSchema, options, 'options');
    const scope = Object.keys(fields).length > 0 ? scopeOf(fields) : undefined;
    const now = Date.now();
    if (dryRun) {
      try {
        await this.storage.transaction('write', 'counting expired memories', async (tx) => {
          throw new DryRun(await tx.eraseMemories(await tx.expiredMemoryIds(now, scope)));
        });
      } catch (error) {
        const dry = dryRunIn(error);
        if (dry) return dry.result as ErasedCounts;
        throw error;
      }
    }
    const total: ErasedCounts = { memories: 0, messages: 0, entities: 0, relations: 0 };
    for (;;) {
      const erased = await this.storage.transaction('write', 'erasing expired memories', async (tx) =>
        tx.eraseMemories((await tx.expiredMemoryIds(now, scope)).slice(0, PURGE_BATCH)),
      );
      if (erased.memories === 0) return total;
      for (const key of Object.keys(total) as (keyof ErasedCounts)[]) total[key] += erased[key];
    }
  }

  /**
   * Forgets a scope for good (the right to be forgotten): every version of its
   * memories, their vectors, full-text entries and history, and its logged
   * messages are removed from the file. Unlike deleteAll, nothing stays in
   * history. Its queued adds go too (a worker running one drops what it was
   * about to write). The scope matches as in getAll: `{ userId }` covers all
   * of that user's agents and sessions.
   */
  async forget(scope: Scope): Promise<{ memories: number; messages: number; jobs: number; entities: number; relations: number }> {
    this.assertOpen();
    const parsed = validate(ScopeSchema, scope, 'scope');
    requireScope(parsed, 'forget');
    return this.storage.transaction('write', 'forgetting a scope', (tx) => tx.purge(parsed));
  }

  /**
   * Checks the file's invariants: every memory version has exactly one vector
   * and one full-text entry that agree with it, history points only at
   * existing memories and accounts for every version, at most one current
   * version per id, SQLite's own integrity check. Returns the violations.
   */
  async verify(): Promise<{ ok: boolean; problems: string[] }> {
    this.assertOpen();
    const problems = await this.storage.verify();
    return { ok: problems.length === 0, problems };
  }

  /**
   * Every record of the file in Engram's portable format (JSON Lines when each
   * record is written on its own line): a header, the message log, then each
   * memory with all its versions, validity, history and provenance, then the
   * queued adds not yet applied (queued, running or failed). Vectors
   * are not exported; import re-embeds. Read a page at a time: each memory comes
   * whole, but a change made while iterating may or may not appear. With
   * `scope`, only that scope's records (a person's own export); it imports as
   * a whole export does.
   */
  async *export(options: ExportOptions = {}): AsyncGenerator<ExportRecord> {
    this.assertOpen();
    const { scope } = validate(ExportOptionsSchema, options, 'options');
    const wanted = (record: ExportRecord) => scope === undefined || record.type === 'engram' || (record.type !== 'policy' && isInScope(record, scope));
    for await (const record of this.storage.exportRecords()) {
      if (wanted(record)) yield record;
      // Policies follow the header: a restored backup keeps its deny rules. A scope's export carries its own, not the store's.
      if (record.type === 'engram') yield* await this.exportPolicies(scope);
    }
    // The queued adds still to do, oldest first (so an import queues them in the same order).
    const pending: JobRecord[] = [];
    for (let offset = 0; ; offset += EXPORT_JOB_PAGE) {
      const page = await this.storage.transaction('read', 'exporting queued adds', (tx) =>
        tx.listJobs({ status: ['queued', 'running', 'failed'], limit: EXPORT_JOB_PAGE, offset }),
      );
      pending.push(...page);
      if (page.length < EXPORT_JOB_PAGE) break;
    }
    for (const job of pending.reverse()) {
      const record = toExportJob(job);
      if (wanted(record)) yield record;
    }
  }

  /**
   * Imports an export (its lines), into an empty or a populated file.
   * Validated line by line first: a bad line fails the whole import with its
   * line number, and nothing is written. Idempotent: importing twice adds
   * nothing, and an interrupted import can be re-run.
   */
  async import(lines: Iterable<string> | AsyncIterable<string> | string, options: { onProgress?: (progress: ImportProgress) => void } = {}): Promise<ImportResult> {
    this.assertOpen();
    const result = await importLines(this.storage, this.embedder, lines, options.onProgress);
    // An export without a graph (or from a store that kept none): link what came in, as an add would have.
    if (this.keepsGraph && result.memories.added > 0) await this.graph.link();
    return result;
  }

  /**
   * Re-embeds every memory of a file with another embedding model, so the file
   * can be opened with it. Vectors are computed beside the live index and
   * swapped in at the end in one transaction: an interrupted reindex resumes
   * where it stopped, and until it finishes the file keeps working with the
   * old model.
   */
  static async reindex(options: {
    path: string;
    embedder: MemoryOptions['embedder'];
    encryptionKey?: string | undefined;
    batchSize?: number;
    onProgress?: (progress: { done: number; total: number }) => void;
  }): Promise<{ reembedded: number; model: string; entityNames: number }> {
    const path = validate(PathSchema, options.path, 'path');
    if (isPostgresUrl(path)) throw new EngramError('INVALID_INPUT', 'reindex works on SQLite files; a PostgreSQL store cannot be reindexed yet (export it, then import it with the new model)');
    const { embedder, owned } = await createEmbedder(validate(EmbedderOptionSchema, options.embedder, 'embedder'));
    const batchSize = validate(z.number().int().min(1).max(4096).default(256), options.batchSize, 'batchSize');
    const encryptionKey = validate(MemoryOptionsSchema.shape.encryptionKey, options.encryptionKey, 'encryptionKey');
    try {
      return await reindexFile({
        path,
        encryptionKey,
        model: { id: embedder.id, dimension: embedder.dimension },
        embed: (texts) => embedChecked(embedder, texts),
        batchSize,
        onProgress: options.onProgress,
      });
    } finally {
      if (owned) await embedder.dispose?.();
    }
  }

  /**
   * Encrypts (`newKey`), decrypts (`key` only) or re-keys (both) a database
   * file: the change is made on a copy, verified, then swapped in atomically;
   * on any failure the original is untouched. Close every Memory on the file
   * first.
   */
  static async rekey(options: { path: string; key?: string | undefined; newKey?: string | undefined }): Promise<void> {
    const parsed = validate(
      z.strictObject({ path: PathSchema, key: MemoryOptionsSchema.shape.encryptionKey, newKey: MemoryOptionsSchema.shape.encryptionKey }),
      options,
      'options',
    );
    if (parsed.path === ':memory:') throw new EngramError('INVALID_INPUT', 'an in-memory database has no file to encrypt');
    if (isPostgresUrl(parsed.path)) {
      throw new EngramError('INVALID_INPUT', 'encryptionKey encrypts SQLite files; a PostgreSQL server encrypts at rest itself (encrypted disks or tablespaces) and in transit with TLS (sslmode=require in the URL)');
    }
    rekeyDatabase(parsed);
  }

  /** Erases every memory, vector, history entry and message in this file. Irreversible. */
  async reset(): Promise<void> {
    this.assertOpen();
    await this.storage.transaction('write', 'resetting the store', (tx) => tx.clear());
    this.queryCache.clear();
  }

  /** Closes the database and releases the embedding model (if Engram created it). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Work in flight lands (or fails) before the store closes under it.
    await this.runner?.close();
    await this.uses.settled();
    if (this.ownsStorage) await this.storage.close();
    if (this.ownsEmbedder) await this.embedder.dispose?.();
    if (this.ownsLlm) await this.llm?.dispose?.();
    if (this.reranker?.owned) await this.reranker.reranker.dispose?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async embedQuery(text: string): Promise<Float32Array> {
    const cached = this.queryCache.get(text);
    if (cached) return cached;
    const [vector] = await embedChecked(this.embedder, [text], 'query');
    this.queryCache.set(text, vector as Float32Array);
    return vector as Float32Array;
  }

  private requireReranker(): Reranker {
    if (!this.reranker) {
      throw new EngramError('INVALID_INPUT', 'search with rerank: true needs a cross-encoder: Memory.open({ reranker: { model: "<folder>" } })', { hint: 'no-reranker' });
    }
    return this.reranker.reranker;
  }

  private async requireCurrent(id: string, within: Scope): Promise<MemoryItem> {
    const current = await this.storage.transaction('read', 'reading a memory', (tx) => tx.memory(id));
    if (!current || !isInScope(current, within)) throw notFound(id);
    return current;
  }

  private assertOpen(): void {
    if (this.closed) throw new EngramError('CLOSED', 'this Memory is closed; open a new one with Memory.open()');
  }
}

/** Queued adds read per transaction while exporting. */
const EXPORT_JOB_PAGE = 500;

/** What an add that waited returns. */
export type AddResult = JobResult;
/** What an add with `wait: false` returns: its job, for `memory.job(jobId)`. */
export type QueuedAdd = { jobId: string; status: 'queued' };


/** CONFLICT when the memory is no longer at the version the caller read (`update` and `delete` with `ifVersion`). */
function requireVersion(current: MemoryItem, expected: number | undefined): void {
  if (expected !== undefined && current.version !== expected) {
    throw new EngramError('CONFLICT', `memory ${current.id} changed since version ${expected}: it is at version ${current.version} now; read it again before changing it`, {
      details: { version: current.version },
    });
  }
}

/** INVALID_INPUT when an expiry given is not in the future: an add or update must not store what is already gone. */
function requireFuture(expiresAt: number | undefined, now: number): void {
  if (expiresAt !== undefined && expiresAt <= now) {
    throw new EngramError('INVALID_INPUT', `expiresAt ${toIso(expiresAt)} is not in the future; give a later time (or leave it out: the memory then never expires)`);
  }
}

/** Thrown inside a dry run's write transaction, carrying its result out, so that everything it did rolls back. */
class DryRun<T> {
  constructor(readonly result: T) {}
}

/** The dry run an error carries (engines wrap what a transaction throws, keeping it as the cause). */
function dryRunIn(error: unknown): DryRun<unknown> | undefined {
  for (let at = error, depth = 0; at !== undefined && depth < 4; at = (at as { cause?: unknown }).cause, depth++) {
    if (at instanceof DryRun) return at;
    if (typeof at !== 'object' || at === null) return undefined;
  }
  return undefined;
}

/** Expired memories erased per write transaction. */
const PURGE_BATCH = 500;

function notFound(id: string): EngramError {
  return new EngramError('NOT_FOUND', `no current memory with id ${id}`);
}

type TimeBounds = { gt?: string | Date | undefined; gte?: string | Date | undefined; lt?: string | Date | undefined; lte?: string | Date | undefined };

/** The metadata filter, the createdAt / updatedAt bounds and the ids of read options, as one filter for the engines. */
function filterOf(opts: { filters?: FilterNode | undefined; createdAt?: TimeBounds | undefined; updatedAt?: TimeBounds | undefined; ids?: string[] | undefined }): FilterNode | undefined {
  const epoch = (range: TimeBounds | undefined) =>
    range && { gt: toEpochMs(range.gt), gte: toEpochMs(range.gte), lt: toEpochMs(range.lt), lte: toEpochMs(range.lte) };
  return withTimeBounds(
    opts.filters,
    [
      { field: 'created_at', range: epoch(opts.createdAt) },
      { field: 'updated_at', range: epoch(opts.updatedAt) },
    ],
    opts.ids,
  );
}
