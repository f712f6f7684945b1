/**
 * Runs one grammar-constrained chat response with node-llama-cpp and measures it:
 * wall time, time to the first generated token, prompt tokens actually evaluated
 * and tokens generated.
 *
 * Token counts come from the sequence's TokenMeter, which counts every decoded
 * token: tokens whose logits are read are "output", the rest "input". A prompt of n
 * new tokens therefore shows up as n − 1 input + 1 output, and each generated token
 * that is fed back as 1 output. So the meter's total at the first generated token is
 * the number of prompt tokens that really went through the model — a prefix already
 * in the sequence's KV cache is not counted, which is how prefix reuse is shown.
 */
import type { ChatHistoryItem, LlamaChat, LlamaGrammar, TokenMeterState } from 'node-llama-cpp';

export interface ResponseProbe {
  readonly text: string;
  readonly stopReason: string;
  readonly totalMs: number;
  /** From the call to the first generated token: prompt evaluation (+ one sampling step). */
  readonly firstTokenMs: number;
  /** Prompt tokens decoded by this call (not the cached prefix). */
  readonly promptTokensEvaluated: number;
  readonly generatedTokens: number;
}

export interface ProbeOptions {
  readonly grammar?: LlamaGrammar;
  readonly maxTokens: number;
}

export async function probeResponse(chat: LlamaChat, history: ChatHistoryItem[], options: ProbeOptions): Promise<ResponseProbe> {
  const meter = chat.sequence.tokenMeter;
  const before = meter.getState();
  let atFirstToken: TokenMeterState | undefined;
  let firstTokenMs = 0;
  let generatedTokens = 0;
  const start = performance.now();
  const response = await chat.generateResponse(history, {
    temperature: 0,
    maxTokens: options.maxTokens,
    ...(options.grammar ? { grammar: options.grammar } : {}),
    onToken: (tokens) => {
      if (!atFirstToken) {
        atFirstToken = meter.getState();
        firstTokenMs = performance.now() - start;
      }
      generatedTokens += tokens.length;
    },
  });
  const totalMs = performance.now() - start;
  const prompt = meter.diff(before);
  const promptAtFirstToken = atFirstToken ? diffState(atFirstToken, before) : prompt.usedInputTokens + prompt.usedOutputTokens;
  return {
    text: response.response,
    stopReason: response.metadata.stopReason,
    totalMs,
    firstTokenMs: atFirstToken ? firstTokenMs : totalMs,
    promptTokensEvaluated: promptAtFirstToken,
    generatedTokens,
  };
}

function diffState(after: TokenMeterState, before: TokenMeterState): number {
  return after.usedInputTokens - before.usedInputTokens + (after.usedOutputTokens - before.usedOutputTokens);
}

/** A chat history ending in an empty model turn: generateResponse() completes that turn. */
export function chatHistory(systemPrompt: string, userMessage: string): ChatHistoryItem[] {
  return [
    { type: 'system', text: systemPrompt },
    { type: 'user', text: userMessage },
    { type: 'model', response: [] },
  ];
}
