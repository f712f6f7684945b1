import type { ExportRecord } from '../export-format.js';
import type { MemoryItem, Scope } from '../schema.js';
import type { MemoryRow } from './memories.js';
import type { Candidates, CandidateQuery, Storage, StorageTransaction, StoredMessage, TransactionMode } from '../storage/storage.js';
import { keywordQuery } from './fts-query.js';
import { toMemoryItem } from './memory-item.js';
import { resolve } from 'node:path';
import { Store, type StoreOptions } from './store.js';
import * as entities from './entities.js';
import * as jobs from './jobs.js';
import * as mentions from './mentions.js';
import { exportEntityPage, exportRelationPage } from './portable.js';
import * as relations from './relations.js';
import { deleteMessages, messagesById, type MessageRow } from './messages.js';

/**
 * The storage port on one SQLite file (see Store for the engine itself).
 *
 * better-sqlite3 is synchronous and a connection has one transaction at a
 * time, while the port's transactions are asynchronous: so every call on this
 * connection waits its turn (one at a time, in call order), and a transaction
 * keeps the connection until its work has settled. Nothing else can slip a
 * statement into an open transaction between two awaits.
 */
export class SqliteStorage implements Storage {
  readonly engine = 'sqlite' as const;
  private readonly turns = new TurnQueue();
  private readonly tx: StorageTransaction;

  private constructor(
    private readonly store: Store,
    /** The write turns of every connection of this process to the same file. */
    private readonly writers: TurnQueue,
  ) {
    this.tx = sqliteTransaction(store);
  }

  /**
   * Opens the file in a write turn of this process: opening writes (schema,
   * migrations), and a synchronous write that met another connection's open
   * write transaction here would block the thread that transaction needs.
   */
  static async open(options: StoreOptions): Promise<SqliteStorage> {
    const writers = options.path === ':memory:' ? new TurnQueue() : writersOf(resolve(options.path));
    const store = await writers.run(async () => Store.open(options));
    return new SqliteStorage(store, writers);
  }

  transaction<T>(mode: TransactionMode, doing: string, work: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    const run = () => this.inTurn(() => this.store.transaction(mode, doing, () => work(this.tx)));
    return mode === 'write' ? this.writers.run(run) : run();
  }

  searchCandidates(query: CandidateQuery): Promise<Candidates> {
    return this.inTurn(async () => {
      const found = this.store.read(
        () =>
          this.store.searchCandidates({
            scope: query.scope,
            k: query.k,
            vector: query.vector,
            keyword: query.keyword === undefined ? undefined : keywordQuery(query.keyword),
            filter: query.filter,
            at: query.at,
            exact: query.exact,
          }),
        'searching',
      );
      // Row numbers stop here: above the engine, a visible version is named by its memory id.
      const idOf = (seq: number) => (found.bySeq.get(seq) as { row: { id: string } }).row.id;
      return {
        vector: found.vector.map((hit) => ({ id: idOf(hit.seq), cosine: cosineOf(hit.distance) })),
        keyword: found.keyword.map((hit) => ({ id: idOf(hit.seq), keyword: hit.bm25 / (1 + hit.bm25) })),
        byId: new Map([...found.bySeq.values()].map(({ row, distance }) => [row.id, new LazyCandidate(row, distance)])),
      };
    });
  }

  bindEmbeddingModel(modelId: string, dimension: number): Promise<void> {
    // A write: it waits for the process's other write transactions like any other (see writersOf).
    return this.writers.run(() => this.inTurn(async () => this.store.bindEmbeddingModel(modelId, dimension)));
  }

  embeddingModel(): Promise<{ id: string; dimension: number } | undefined> {
    return this.inTurn(async () => this.store.read(() => this.store.embeddingModel(), 'reading the embedding model'));
  }

  verify(): Promise<string[]> {
    return this.inTurn(async () => this.store.read(() => this.store.verify(), 'verifying the store'));
  }

  /**
   * Streams the export a page at a time (a large file never sits in memory
   * whole), each page one turn on the connection; each memory is read whole,
   * with all its versions and history; then the entities (each with the
   * memories naming it) and the relations, in the order they were stored.
   */
  async *exportRecords(): AsyncGenerator<ExportRecord> {
    const read = <T>(work: () => T) => this.inTurn(async () => this.store.read(work, 'exporting'));
    yield await read(() => this.store.exportHeader());
    for (let afterId = 0; ; ) {
      const page = await read(() => this.store.exportMessagePage(afterId, EXPORT_PAGE));
      if (page.length === 0) break;
      yield* page;
      afterId = (page.at(-1) as { id: number }).id;
    }
    for (let afterSeq = 0; ; ) {
      const page = await read(() => this.store.exportMemoryPage(afterSeq, EXPORT_PAGE));
      if (page.lastSeq === undefined) break;
      yield* page.records;
      afterSeq = page.lastSeq;
    }
    for (const exportPage of [exportEntityPage, exportRelationPage]) {
      for (let afterSeq = 0; ; ) {
        const page = await read(() => exportPage(this.store.connection, afterSeq, EXPORT_PAGE));
        if (page.lastSeq === undefined) break;
        yield* page.records;
        afterSeq = page.lastSeq;
      }
    }
  }

  close(): Promise<void> {
    return this.inTurn(async () => this.store.close());
  }

  /** Runs `work` once every call before it on this connection has settled. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.turns.run(work);
  }
}

/** Records read per turn while exporting. */
const EXPORT_PAGE = 500;

/** Work run one at a time, in call order. */
class TurnQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Write transactions of one process on one file take turns here. A write
 * transaction awaits between statements; if a second connection of the same
 * process then began its own, SQLite's busy wait would block the thread, and
 * with it the first transaction it is waiting for, until the busy timeout.
 * Across processes SQLite's lock does the work (each process has its own thread).
 */
const writersByFile = new Map<string, TurnQueue>();
function writersOf(file: string): TurnQueue {
  let queue = writersByFile.get(file);
  if (!queue) {
    queue = new TurnQueue();
    writersByFile.set(file, queue);
  }
  return queue;
}

/** A candidate whose item is built only if asked for: most candidates are ranked, not returned. */
class LazyCandidate {
  readonly cosine: number | undefined;
  private built: MemoryItem | undefined;
  constructor(
    private readonly row: MemoryRow,
    distance: number | undefined,
  ) {
    this.cosine = distance === undefined ? undefined : cosineOf(distance);
  }
  get item(): MemoryItem {
    this.built ??= toMemoryItem(this.row);
    return this.built;
  }
}

function toStoredMessage(m: MessageRow): StoredMessage {
  return { id: m.id, role: m.role, name: m.name, content: m.content, createdAt: m.created_at };
}

/** Cosine distance (0..2) to the port's cosine similarity, opposite directions counted as unrelated. */
function cosineOf(distance: number): number {
  return Math.min(1, Math.max(0, 1 - distance));
}

/** The port's repositories over the Store's synchronous calls; used only inside Store.transaction. */
function sqliteTransaction(store: Store): StorageTransaction {
  return {
    memory: async (id, options) => store.memory(id, options),
    scopeOfMemory: async (id) => store.scopeOfMemory(id),
    currentMemoryByHash: async (scope, hash) => store.currentMemoryByHash(scope, hash),
    list: async (scope, options) => store.list(scope, options),
    count: async (scope, options) => store.count(scope, options),
    countCurrent: async (scope) => store.countCurrent(scope),
    policy: async (scope) => store.policy(scope),
    setPolicy: async (json, scope) => store.setPolicy(json, scope),
    scopePolicies: async (scope) => store.scopePolicies(scope),
    currentIds: async (scope) => store.currentIds(scope),
    scopeOwners: async ({ limit, offset }) => store.scopeOwners(limit, offset),
    nearest: async (vector, k, scope: Scope, options = {}) =>
      store.resolveHits(store.nearest(vector, k, scope, { exactScope: options.exactScope ?? false })).map(({ item, distance }) => ({ item, cosine: cosineOf(distance) })),
    adjacentMemories: async (ids, options) => store.adjacentMemories(ids, options),
    sourceMessages: async (ids, at) => new Map([...store.sourceMessages(ids, at)].map(([id, messages]) => [id, messages.map(toStoredMessage)])),
    history: async (id) => store.history(id),
    insertMemory: async (memory, at, actor) => store.insertMemory(memory, at, actor),
    reviseMemory: async (id, revision, at, actor, reason) => store.reviseMemory(id, revision, at, actor, reason),
    closeMemory: async (id, at, actor, reason, validTo) => store.closeMemory(id, at, actor, reason, validTo),
    expiredMemoryIds: async (now, scope) => store.expiredMemoryIds(now, scope),
    eraseMemories: async (ids) => store.eraseMemories(ids),
    recordAccess: async (ids, at) => store.recordAccess(ids, at),
    lastAccess: async (ids) => store.lastAccess(ids),
    appendMessages: async (scope, messages, at) =>
      store.appendMessages(
        scope,
        messages.map((m) => ({ role: m.role, name: m.name, content: m.content, created_at: m.createdAt })),
        at,
      ),
    recentMessages: async (scope, limit, beforeId) => store.recentMessages(scope, limit, beforeId).map(toStoredMessage),
    messagesById: async (ids) => messagesById(store.connection, ids).map(toStoredMessage),
    deleteMessages: async (ids) => deleteMessages(store.connection, ids),
    insertJob: async (job) => jobs.insertJob(store.connection, job),
    job: async (id) => jobs.findJob(store.connection, id),
    jobHeads: async (limit, scope) => jobs.jobHeads(store.connection, limit, scope),
    unfinishedJobs: async (scope, limit) => jobs.unfinishedJobs(store.connection, scope, limit),
    listJobs: async (options) => jobs.listJobs(store.connection, options),
    jobCounts: async (scope) => jobs.jobCounts(store.connection, scope),
    updateJob: async (id, change) => jobs.updateJob(store.connection, id, change),
    deleteJob: async (id) => jobs.deleteJob(store.connection, id),
    pruneJobs: async (finishedBefore) => jobs.pruneJobs(store.connection, finishedBefore),
    entities: async (scope, options = {}) => entities.listEntities(store.connection, scope, options.exactScope ?? false),
    entitiesById: async (ids) => entities.entitiesById(store.connection, ids),
    insertEntity: async (entity) => entities.insertEntity(store.connection, entity),
    updateEntity: async (id, change) => entities.updateEntity(store.connection, id, change),
    mergeEntity: async (id, into) => entities.mergeEntity(store.connection, id, into),
    relations: async (scope, query) => relations.listRelations(store.connection, scope, query),
    insertRelation: async (relation) => relations.insertRelation(store.connection, relation),
    retireRelation: async (id, at, validTo) => relations.retireRelation(store.connection, id, at, validTo),
    setMentions: async (memoryId, entityIds) => mentions.setMentions(store.connection, memoryId, entityIds),
    mentions: async (memoryIds) => mentions.mentionsOf(store.connection, memoryIds),
    mentionCounts: async (entityIds) => mentions.mentionCounts(store.connection, entityIds),
    memoriesMentioning: async (entityIds, limit) => mentions.memoriesMentioning(store.connection, entityIds, limit),
    purge: async (scope) => store.purge(scope),
    clear: async () => store.clear(),
    hasMemory: async (id) => store.hasMemory(id),
    importMessage: async (message, occurrence) => store.importMessage(message, occurrence),
    importMemory: async (memory, hashes, vectors) => store.importMemory(memory, hashes, vectors),
  };
}
