import { generateText, isStepCount, wrapLanguageModel, type LanguageModel } from 'ai';
import type { Memory } from 'engram-memory';
import { engramMiddleware, engramTools } from 'engram-memory/ai-sdk';

/** Any AI SDK model object: openai('gpt-4o-mini'), anthropic('claude-sonnet-4-5'), ollama('llama3.2')… */
type Model = Exclude<LanguageModel, string>;

/** One turn of a chat with long-term memory: what Engram knows about the user goes into the prompt, and the turn is remembered. */
export async function chat(memory: Memory, model: Model, userId: string, message: string): Promise<string> {
  const middleware = engramMiddleware(memory, { userId, context: { maxTokens: 300 } });
  const { text } = await generateText({
    model: wrapLanguageModel({ model, middleware }),
    system: 'You are a helpful assistant.',
    prompt: message,
  });
  // The turn is stored after the answer, in the background (a serverless handler: waitUntil(middleware.settled())).
  await middleware.settled();
  return text;
}

/** Or let the model decide when to search and what to remember: the tools work in `userId`'s memories only. */
export async function chatWithTools(memory: Memory, model: Model, userId: string, message: string): Promise<string> {
  const { text } = await generateText({
    model,
    tools: engramTools(memory, { userId }),
    stopWhen: isStepCount(3),
    prompt: message,
  });
  return text;
}
