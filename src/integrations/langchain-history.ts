import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { LIMITS, ScopeSchema, type Memory, type MemoryItem, type Scope } from '../index.js';
import { memoryOf, parseOptions, requireScope, storableText } from './integration-options.js';

export const EngramChatMessageHistoryOptionsSchema = ScopeSchema.extend({
  memory: memoryOf<Pick<Memory, 'add' | 'getAll' | 'forget'>>(),
  /** The conversation (session): every history has its own, so that clear() forgets one conversation, not a user. */
  runId: ScopeSchema.shape.runId.unwrap(),
});
export type EngramChatMessageHistoryOptions = z.input<typeof EngramChatMessageHistoryOptionsSchema>;

/** The metadata key that marks a memory as a message of a chat history; its value says who said it (user or assistant). */
export const CHAT_ROLE_KEY = 'chatRole';
type ChatRole = 'user' | 'assistant';

/**
 * A LangChain.js chat message history kept in Engram: each human and AI
 * message of a conversation (`runId`) becomes a memory stored as said
 * (`infer: false`, metadata `{ chatRole }`), so the conversation is also
 * searchable memory; `getMessages()` reads them back oldest first; `clear()`
 * forgets the conversation's scope for good (Memory.forget).
 *
 * Kept: human and AI messages with text. Not kept: system and tool
 * messages, and a text said again verbatim in the same conversation (Engram
 * stores a current text once per scope: the history shows it where it was
 * first said).
 * @example
 * const history = new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-42' });
 * await history.addMessages([new HumanMessage('I moved to Lisbon'), new AIMessage('Noted!')]);
 */
export class EngramChatMessageHistory extends BaseListChatMessageHistory {
  static override lc_name(): string {
    return 'EngramChatMessageHistory';
  }

  lc_namespace = ['engram', 'chat_history'];
  private readonly memory: Pick<Memory, 'add' | 'getAll' | 'forget'>;
  private readonly scope: Scope;

  constructor(fields: EngramChatMessageHistoryOptions) {
    super();
    const opts = parseOptions(EngramChatMessageHistoryOptionsSchema, fields, 'fields');
    this.memory = opts.memory;
    this.scope = requireScope(opts, 'EngramChatMessageHistory');
  }

  override async getMessages(): Promise<BaseMessage[]> {
    const items: MemoryItem[] = [];
    for (let offset = 0; ; offset += LIMITS.maxPageSize) {
      const { results } = await this.memory.getAll({ ...this.scope, filters: { [CHAT_ROLE_KEY]: { in: ['user', 'assistant'] } }, limit: LIMITS.maxPageSize, offset });
      items.push(...results.filter((item) => item.userId === this.scope.userId && item.agentId === this.scope.agentId));
      if (results.length < LIMITS.maxPageSize) break;
    }
    // getAll lists newest first (by when each was stored, then in the order of one add).
    return items.reverse().map((item) => (item.metadata[CHAT_ROLE_KEY] === 'user' ? new HumanMessage({ id: item.id, content: item.memory }) : new AIMessage({ id: item.id, content: item.memory })));
  }

  override async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  override async addMessages(messages: BaseMessage[]): Promise<void> {
    // One add per message: the role is each memory's own metadata. In order: adds to one scope are applied one at a time.
    for (const message of messages) {
      const role = chatRole(message);
      const text = storableText(message.text);
      if (role === undefined || text.trim() === '') continue;
      await this.memory.add([{ role, content: text }], { ...this.scope, infer: false, metadata: { [CHAT_ROLE_KEY]: role } });
    }
  }

  override async clear(): Promise<void> {
    await this.memory.forget(this.scope);
  }
}

function chatRole(message: BaseMessage): ChatRole | undefined {
  const type = message.getType();
  return type === 'human' ? 'user' : type === 'ai' ? 'assistant' : undefined;
}
