import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { EngramError, isEngramError, LIMITS, MemoryEventSchema, MemoryItemSchema, ScoredMemorySchema, SearchOptionsSchema, type Memory, type MetadataFilter, type Scope } from '../index.js';
import { GraphEntityRefSchema, GraphNeighboursOptionsSchema } from '../graph/graph-schema.js';
import { formatNeighbourhood, formatNotInGraph } from './format.js';
import { addJson, deletedAllJson, deletedJson, listJson, queuedJson, searchJson } from './openmemory-json.js';
import { callScope, type ScopeOverride, type ServerScope } from './scope.js';
import { toolInput } from './tool-input.js';
import { toolError, toolResult } from './tool-result.js';

/** What the tools work on: one store, the server's scope, and whether a client may choose another. */
export type ToolContext = {
  memory: Memory;
  scope: ServerScope;
  allowScopeOverride: boolean;
  /** Rewrites an error before a tool reports it (see EngramMcpServerOptions). */
  explainError?: ((error: unknown) => unknown) | undefined;
  /** Whether add_memories with inference is queued rather than waited for, asked at each call (see EngramMcpServerOptions). */
  queueAdds: () => boolean;
  /** The MCP client's name (from an OpenMemory URL), recorded on what add_memories stores as `metadata.mcp_client`. */
  client?: string | undefined;
};

/** How many ids one delete_memories call takes. */
const MAX_IDS_PER_DELETE = 100;

const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

const NO_LLM_HINT =
  'No local LLM is installed, so add_memories cannot extract facts from the text. Tell the user to run `engram models pull` ' +
  "into this server's models folder (no restart needed), or call add_memories again with infer: false to store the text as said.";

const NO_GRAPH =
  'There is no entity graph for this user yet: no person, place or thing has been recorded from their memories ' +
  '(the memory server records them when it is started with --graph). search_memory still finds what they said.';

/**
 * What search_graph declares it answers. The library has no zod schema for
 * Entity and Relation (plain types): the fields a client relies on, loose for the rest.
 */
const NamedShape = { id: z.string(), name: z.string() };
const GraphOutputShape = {
  entity: z.looseObject({ ...NamedShape, type: z.string(), aliases: z.array(z.string()) }).optional(),
  entities: z.array(z.looseObject({ ...NamedShape, type: z.string(), distance: z.number().int() })),
  relations: z.array(
    z.looseObject({ id: z.string(), source: z.looseObject(NamedShape), relation: z.string(), target: z.looseObject(NamedShape), validFrom: z.string() }),
  ),
};

/**
 * Registers Engram's memory tools on an MCP server: OpenMemory's five
 * (add_memories, search_memory, list_memories, delete_memories,
 * delete_all_memories, answering JSON text as OpenMemory does), Engram's
 * delete_memory, and search_graph over the entity graph.
 */
export function registerMemoryTools(server: McpServer, context: ToolContext): void {
  const { memory, allowScopeOverride } = context;

  /** Runs a tool call in its scope; any failure becomes a tool error the model can read, never a crash. */
  const handle =
    <Args extends ScopeOverride>(run: (args: Args, scope: Scope) => Promise<CallToolResult>) =>
    async (args: Args): Promise<CallToolResult> => {
      try {
        return await run(args, callScope(context.scope, args, allowScopeOverride));
      } catch (error) {
        return toolError(explain(error));
      }
    };
  const explain = (error: unknown) => (context.explainError ? context.explainError(error) : error);

  server.registerTool(
    'add_memories',
    {
      title: 'Remember',
      description:
        'Store information about the user in long-term memory, for future conversations. Call it when the user shares something ' +
        'worth remembering beyond this conversation (preferences, personal facts, people in their life, plans, health details, ' +
        'corrections of something they said before) or asks you to remember something. Do not store small talk, your own replies, ' +
        'or facts that only matter for the current task. With infer (the default) a local model extracts the facts and updates or ' +
        'retires memories they contradict, usually in the background: the answer then only confirms the text was received, and ' +
        'the memories appear in searches once the model is done. With infer: false the text is stored exactly as given, at once.',
      inputSchema: toolInput(
        {
          text: z
            .string()
            .min(1)
            .max(LIMITS.maxTextLength)
            .describe("What to remember: the user's message, or short self-contained statements in the user's voice (\"I am allergic to penicillin.\")."),
          infer: z
            .boolean()
            .default(true)
            .describe('true: extract facts and reconcile them with existing memories (needs the local LLM). false: store the text as said.'),
          expires_at: z
            .string()
            .optional()
            .describe(
              'Only for what should be forgotten later (a trip, a temporary situation): when it expires, as a day ("2027-01-31", through that day) or an ISO date-time. ' +
                'Expired memories leave searches. Leave it out for lasting facts.',
            ),
        },
        allowScopeOverride,
      ),
      // What add returns: the changes when it waited, { jobId, status: 'queued' } when it was queued.
      outputSchema: {
        results: z.array(MemoryEventSchema).optional(),
        droppedOperations: z.number().int().optional(),
        jobId: z.string().optional(),
        status: z.literal('queued').optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    handle(async ({ text, infer, expires_at }, scope) => {
      const expiresAt = expires_at;
      // As OpenMemory does: which client said it, for the user to see later.
      const metadata = context.client === undefined ? undefined : { mcp_client: context.client };
      try {
        // The local LLM may take longer than a client waits for a tool (some give up after 60 s): queue, answer at once.
        if (infer && context.queueAdds()) {
          const queued = await memory.add(text, { ...scope, metadata, infer, expiresAt, wait: false });
          return toolResult(queuedJson(queued), queued);
        }
        const added = await memory.add(text, { ...scope, metadata, infer, expiresAt, wait: true });
        return toolResult(addJson(added), added);
      } catch (error) {
        const noLlm = infer && (isEngramError(error, 'MODEL_NOT_FOUND') || isEngramError(error, 'LLM_NOT_CONFIGURED'));
        return toolError(explain(error), noLlm ? NO_LLM_HINT : undefined);
      }
    }),
  );

  server.registerTool(
    'search_memory',
    {
      title: 'Search memories',
      description:
        "Search the user's long-term memories by meaning. Call it before answering whenever the answer may depend on something the " +
        'user told you in an earlier conversation (preferences, personal facts, people, past decisions), instead of asking again. ' +
        'Returns the best matches first, each with a relevance score from 0 to 1 and its id.',
      inputSchema: toolInput(
        {
          query: z.string().min(1).max(LIMITS.maxTextLength).describe('What you want to know, as a question or keywords ("Which antibiotics must I avoid?").'),
          limit: z.number().int().min(1).max(LIMITS.maxSearchLimit).default(10).describe('How many memories to return at most.'),
          // Bounds and choices are Memory.search's own; the library checks the values as for any caller.
          threshold: SearchOptionsSchema.shape.threshold.describe('Leave out memories scoring below this relevance (0 to 1).'),
          mode: SearchOptionsSchema.shape.mode.unwrap().optional().describe('hybrid (default: meaning and words), vector (meaning only) or keyword (words only).'),
          filters: z
            .record(z.string(), z.unknown())
            .optional()
            .describe('Only memories whose metadata match, e.g. {"topic": "health"} or {"priority": {"gte": 2}}; AND, OR and NOT combine.'),
        },
        allowScopeOverride,
      ),
      outputSchema: { results: z.array(ScoredMemorySchema) },
      annotations: READ_ONLY,
    },
    handle(async ({ query, limit, threshold, mode, filters }, scope) => {
      const { results } = await memory.search(query, { ...scope, limit, threshold, mode, filters: filters as MetadataFilter | undefined });
      return toolResult(searchJson(results), { results });
    }),
  );

  server.registerTool(
    'list_memories',
    {
      title: 'List memories',
      description:
        'List what is stored about the user, newest first. Call it when the user asks what you remember about them, or to review ' +
        'memories before deleting some. To answer a specific question, use search_memory instead.',
      inputSchema: toolInput(
        { limit: z.number().int().min(1).max(LIMITS.maxPageSize).default(100).describe('How many memories to return at most.') },
        allowScopeOverride,
      ),
      outputSchema: { results: z.array(MemoryItemSchema) },
      annotations: READ_ONLY,
    },
    handle(async ({ limit }, scope) => {
      const { results } = await memory.getAll({ ...scope, limit });
      return toolResult(listJson(results), { results });
    }),
  );

  server.registerTool(
    'delete_memory',
    {
      title: 'Forget one memory',
      description:
        'Delete one memory by its id (from search_memory or list_memories). Call it when the user asks you to forget something ' +
        'specific, or says a stored memory is wrong. The memory stops appearing in searches; its change history is kept.',
      inputSchema: toolInput({ memory_id: z.string().min(1).max(128).describe('The id of the memory to delete.') }, allowScopeOverride),
      outputSchema: { deleted: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    handle(async ({ memory_id: id }, scope) => {
      // Ownership is checked inside the delete's write transaction: another user's
      // memory is NOT_FOUND, with the same words as an id that never existed.
      await memory.delete(id, scope);
      return toolResult(`Deleted memory ${id}.`, { deleted: id });
    }),
  );

  server.registerTool(
    'delete_memories',
    {
      title: 'Forget memories',
      description:
        'Delete memories by their ids (from search_memory or list_memories). Call it when the user asks you to forget something ' +
        'specific, or says stored memories are wrong. Only this user\'s current memories are deleted; any other id is reported ' +
        'under not_found and left alone. The memories stop appearing in searches; their change history is kept.',
      inputSchema: toolInput(
        {
          memory_ids: z
            .array(z.string().min(1).max(128))
            .min(1)
            .max(MAX_IDS_PER_DELETE)
            .describe('The ids of the memories to delete.'),
        },
        allowScopeOverride,
      ),
      outputSchema: { deleted: z.array(z.string()), notFound: z.array(z.string()) },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    handle(async ({ memory_ids: ids }, scope) => {
      const deleted: string[] = [];
      const notFound: string[] = [];
      for (const id of new Set(ids)) {
        try {
          // The scope is the guard: the delete's write transaction checks the memory is current in it.
          await memory.delete(id, scope);
          deleted.push(id);
        } catch (error) {
          if (!isEngramError(error, 'NOT_FOUND') && !isEngramError(error, 'INVALID_INPUT')) throw error;
          notFound.push(id);
        }
      }
      if (deleted.length === 0) {
        throw new EngramError('NOT_FOUND', `none of these ids is a current memory of this user: ${notFound.join(', ')}`);
      }
      return toolResult(deletedJson(deleted, notFound), { deleted, notFound });
    }),
  );

  server.registerTool(
    'delete_all_memories',
    {
      title: 'Forget everything',
      description:
        "Delete ALL of the user's memories. Call it only when the user explicitly asks you to forget everything about them, and " +
        'confirm with them first. To remove some facts, use delete_memories.',
      inputSchema: toolInput({}, allowScopeOverride),
      outputSchema: { deleted: z.number().int() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    handle(async (_args, scope) => {
      const { deleted } = await memory.deleteAll(scope);
      return toolResult(deletedAllJson(deleted), { deleted });
    }),
  );

  server.registerTool(
    'search_graph',
    {
      title: 'Search the entity graph',
      description:
        "Look up a person, place, organisation or thing in the user's entity graph and get how it relates to others, one line " +
        'per relation ("alice —works_at→ Acme (since 2025-01-10)"). Call it for questions about someone or something the user ' +
        'mentioned before ("Where does my sister work?", "Who is Dr. Smith?"). Give a name, or "me" for the user; depth 2 also ' +
        'follows the relations of the entities found. For what the user said in their own words, use search_memory.',
      inputSchema: toolInput(
        {
          name: GraphEntityRefSchema.describe('The entity: a name or another name it is known by ("Dr. Smith", "Acme"), or "me" for the user.'),
          depth: GraphNeighboursOptionsSchema.shape.depth.describe('How many relations away to follow: 1 for direct relations.'),
        },
        allowScopeOverride,
      ),
      outputSchema: GraphOutputShape,
      annotations: READ_ONLY,
    },
    handle(async ({ name, depth }, scope) => {
      try {
        const found = await memory.graph.neighbours(name, { ...scope, depth });
        return toolResult(formatNeighbourhood(found, depth), found);
      } catch (error) {
        if (!isEngramError(error, 'NOT_FOUND')) throw error;
        // Nothing by that name is an answer, not a failure; nor is a store (or scope) without a graph.
        const { results } = await memory.graph.entities({ ...scope, limit: 1 });
        return toolResult(results.length === 0 ? NO_GRAPH : formatNotInGraph(name), { entities: [], relations: [] });
      }
    }),
  );
}
