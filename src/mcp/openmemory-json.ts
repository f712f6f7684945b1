import type { AddResult, MemoryItem, QueuedAdd, ScoredMemory } from '../index.js';

/**
 * The text of the memory tools, as OpenMemory's MCP server writes it
 * (mem0ai/mem0, openmemory/api/app/mcp_server.py): JSON, with mem0's
 * snake_case names, so prompts and clients made for OpenMemory read Engram
 * alike. The same data in Engram's own shape is the result's structuredContent.
 */

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** add_memories: mem0's add response, one result per change (`previous_memory` on UPDATE; NONE: already known). */
export function addJson(added: AddResult): string {
  const results = added.results.map((e) => ({
    id: e.id,
    memory: e.memory,
    event: e.event,
    ...(e.previousMemory === undefined ? {} : { previous_memory: e.previousMemory }),
  }));
  return json({ results });
}

/** add_memories when the extraction was queued: the job to ask about, and what happens next. */
export function queuedJson(queued: QueuedAdd): string {
  return json({
    status: queued.status,
    job_id: queued.jobId,
    message: 'Received: the local model extracts the facts in the background; they appear in search_memory once it is done.',
  });
}

/** search_memory: `{ results }`, best first, each with its score in [0, 1]. */
export function searchJson(results: ScoredMemory[]): string {
  return json({
    results: results.map((m) => ({ id: m.id, memory: m.memory, hash: m.hash, created_at: m.createdAt, updated_at: m.updatedAt, score: m.score })),
  });
}

/** list_memories: a bare array, newest first, as OpenMemory lists mem0's get_all items. */
export function listJson(items: MemoryItem[]): string {
  return json(
    items.map((m) => ({
      id: m.id,
      memory: m.memory,
      hash: m.hash,
      metadata: m.metadata,
      created_at: m.createdAt,
      updated_at: m.updatedAt,
      ...(m.userId === undefined ? {} : { user_id: m.userId }),
      ...(m.agentId === undefined ? {} : { agent_id: m.agentId }),
    })),
  );
}

/** delete_memories: OpenMemory's sentence, and which ids were deleted or are not this user's current memories. */
export function deletedJson(deleted: string[], notFound: string[]): string {
  return json({ message: `Successfully deleted ${deleted.length} memories`, deleted, not_found: notFound });
}

/** delete_all_memories: OpenMemory's sentence, and how many. */
export function deletedAllJson(deleted: number): string {
  return json({ message: 'Successfully deleted all memories', deleted });
}
