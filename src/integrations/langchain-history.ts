import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { LIMITS, ScopeSchema, type Memory, type Scope } from '../index.js';
import { memoryOf, parseOptions, requireScope, storableText } from './integration-options.js';

export const EngramChatMessageHistoryOptionsSchema = ScopeSchema.extend({
  memory: memoryOf<Pick<Memory, 'add' | 'messages' | 'forget'>>(),
  /** The conversation (session): every history has its own, so that clear() forgets one conversation, not a user. */
  runId: ScopeSchema.shape.runId.unwrap(),
});
export type EngramChatMessageHistoryOptions = z.input<typeof EngramChatMessageHistoryOptionsSchema>;

/** The metadata key of a memory stored from a chat history; its value says who said it (user or assistant). */
export const CHAT_ROLE_KEY = 'chatRole';
type ChatRole = 'user' | 'assistant';

/**
 * A LangChain.js chat message history kept in Engram: each human and AI
 * message of a conversation (`runId`) is added as said (`infer: false`,
 * metadata `{ chatRole }`), so the conversation is also searchable memory;
 * `getMessages()` reads the conversation back from Engram's message log
 * (`Memory.messages`), oldest first — a text said twice is there twice;
 * `clear()` forgets the conversation's scope for good (Memory.forget).
 *
 * Kept: human and AI messages with text. Not kept: system and tool messages
 * (they are instructions and tool output, not what the user said).
 * @example
 * const history = new EngramChatMessageHistory({ memory, userId: 'alice', runId: 'chat-42' });
 * await history.addMessages([new HumanMessage('I moved to Lisbon'), new AIMessage('Noted!')]);
 */
export class EngramChatMessageHistory extends BaseListChatMessageHistory {
  static override lc_name(): string {
    return 'EngramChatMessageHistory';
  }

  lc_namespace = ['engram', 'chat_history'];
  private readonly memory: Pick<Memory, 'add' | 'messages' | 'forget'>;
  private readonly scope: Scope;

  constructor(fields: EngramChatMessageHistoryOptions) {
    super();
    const opts = parseOptions(EngramChatMessageHistoryOptionsSchema, fields, 'fields');
    this.memory = opts.memory;
    this.scope = requireScope(opts, 'EngramChatMessageHistory');
  }

  override async getMessages(): Promise<BaseMessage[]> {
    const logged: { id: number; role: string; content: string }[] = [];
    // The log pages backwards from the newest message; each page is oldest first.
    for (let before: number | undefined; ; ) {
      const { results } = await this.memory.messages({ ...this.scope, limit: LIMITS.maxPageSize, before });
      logged.unshift(...results);
      if (results.length < LIMITS.maxPageSize) break;
      before = results[0]?.id;
    }
    return logged.flatMap((m): BaseMessage[] =>
      m.role === 'user' ? [new HumanMessage({ content: m.content })] : m.role === 'assistant' ? [new AIMessage({ content: m.content })] : [],
    );
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
