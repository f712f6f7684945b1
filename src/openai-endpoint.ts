import { z } from 'zod';
import { EngramError } from './errors.js';

/**
 * What an OpenAI-compatible server on this machine (Ollama, LM Studio,
 * llama.cpp's llama-server) needs to be reached: shared by the Llm and the
 * Embedder that talk to one.
 */
export const EndpointOptionsSchema = z.strictObject({
  /** The API root, with its `/v1`: `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:1234/v1` (LM Studio), `http://127.0.0.1:8080/v1` (llama-server). */
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be an http:// or https:// URL such as http://127.0.0.1:11434/v1' }),
  /** The model's name on the server, e.g. `qwen2.5:7b-instruct` (Ollama) or `nomic-embed-text`. */
  model: z.string().min(1).max(500),
  /** Sent as `Authorization: Bearer <apiKey>` (llama-server `--api-key`, LM Studio with auth); local servers usually need none. */
  apiKey: z.string().min(1).max(4096).optional(),
  /**
   * Allow a server on another machine. Off by default: Engram promises that
   * nothing leaves this machine, so only localhost, 127.0.0.0/8 and ::1 are accepted.
   * @default false
   */
  allowRemote: z.boolean().default(false),
});

/** The host part of a URL that is this machine. WHATWG URL parsing already turned `0x7f.1`, `2130706433` and the like into dotted IPv4. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  if (/^127(?:\.\d{1,3}){3}$/.test(host)) return true;
  // ::ffff:127.x.y.z, as the parser prints it ([::ffff:7f00:1]).
  return /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/** The endpoint URL, or INVALID_INPUT for a remote host when remote servers are not allowed. */
export function endpointUrl(baseUrl: string, path: string, allowRemote: boolean, what: string): URL {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  if (!allowRemote && !isLoopbackHost(base.hostname)) {
    throw new EngramError(
      'INVALID_INPUT',
      `${what} baseUrl ${base.origin} is not on this machine; Engram only sends text to localhost, 127.0.0.1 or ::1 unless you pass allowRemote: true`,
      { details: { baseUrl } },
    );
  }
  return new URL(path, base);
}

/** A server's answer: its status and body (parsed JSON, or undefined when the body is not JSON). */
export type EndpointResponse = { status: number; json: unknown; text: string };

type PostOptions = {
  apiKey: string | undefined;
  timeoutMs: number;
  /** The error code of a failure to get an answer at all. */
  code: 'LLM_FAILED' | 'EMBEDDING_FAILED';
  /** What the server is for, as a message puts it ("the LLM server"). */
  what: string;
};

/**
 * POSTs `body` as JSON and returns whatever status came back. An unreachable
 * server or a timeout is `code`, with a message saying how to start one.
 */
export async function postJson(url: URL, body: unknown, options: PostOptions): Promise<EndpointResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  // The deadline is ours, not only fetch's: undici passes an abort to the body
  // through a weak reference to its request, so a stalled body could outlive
  // the signal. The race returns at the deadline whatever fetch does; the
  // abort then frees the socket.
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new EngramError(options.code, `${options.what} at ${url.href} did not answer within ${options.timeoutMs} ms; is the model loaded? Raise timeoutMs for a slow machine`));
    }, options.timeoutMs);
  });
  const exchange = (async (): Promise<EndpointResponse> => {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      // A local server that redirects elsewhere would carry the text off the machine.
      redirect: 'error',
      signal: controller.signal,
    });
    const text = await response.text();
    return { status: response.status, json: parseJson(text), text };
  })();
  // Lost to the deadline, its abort error is nobody's.
  exchange.catch(() => undefined);
  try {
    return await Promise.race([exchange, deadline]);
  } catch (error) {
    if (error instanceof EngramError) throw error;
    throw new EngramError(options.code, `could not reach ${options.what} at ${url.href} (${networkReason(error)}); ${startHint(url)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of a failed answer's error, for a message ("HTTP 404: model 'x' not found"). */
export function describeFailure(response: EndpointResponse): string {
  const parsed = ServerErrorSchema.safeParse(response.json);
  const detail = parsed.success ? (typeof parsed.data.error === 'string' ? parsed.data.error : parsed.data.error.message) : response.text;
  return `HTTP ${response.status}${detail.trim() ? `: ${detail.trim().slice(0, 300)}` : ''}`;
}

const ServerErrorSchema = z.object({ error: z.union([z.string(), z.object({ message: z.string() })]) });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** ECONNREFUSED and the like: undici hides them in `cause`. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** How to start the server the port usually belongs to. */
function startHint(url: URL): string {
  if (url.port === '11434') return 'is Ollama running? Start it with `ollama serve`';
  if (url.port === '1234') return 'is LM Studio’s server running? Start it with `lms server start`';
  if (url.port === '8080') return 'is llama-server running? Start it with `llama-server -m <model.gguf>`';
  return 'is the server running? (Ollama: `ollama serve`, LM Studio: `lms server start`, llama.cpp: `llama-server -m <model.gguf>`)';
}
