import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

/** How often an idle event stream gets a comment line, so proxies and clients do not take it for dead. */
const KEEP_ALIVE_MS = 15_000;

/**
 * MCP's older HTTP+SSE transport (protocol 2024-11-05), which OpenMemory's
 * `/mcp/{client}/sse/{user}` URLs speak, on Web-standard Request and Response
 * (the SDK's SSEServerTransport needs Node's response object): the GET is
 * answered with `response`, an event stream that first names the URL to POST
 * messages to (`event: endpoint`), then carries every server message; each
 * POST to that URL is handed over with `receive`.
 */
export class WebSseServerTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  readonly sessionId = randomUUID();
  /** The answer to the GET: the event stream, open until the client goes or close() is called. */
  readonly response: Response;

  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private readonly encoder = new TextEncoder();
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;

  /** `endpoint`: the path the client POSTs its messages to; the session id is added as `session_id`. */
  constructor(endpoint: string) {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        const separator = endpoint.includes('?') ? '&' : '?';
        this.write(`event: endpoint\ndata: ${endpoint}${separator}session_id=${this.sessionId}\n\n`);
        this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        this.keepAlive.unref();
      },
      // The client went away.
      cancel: () => this.end(),
    });
    this.response = new Response(stream, {
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
    });
  }

  async start(): Promise<void> {
    // The stream is started by the constructor, so the GET can be answered before the server connects.
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('the event stream of this MCP session is closed');
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /**
   * One POSTed message (or batch), already read as JSON: handed to the server,
   * whose answer goes out on the event stream. Returns false when it is not a
   * JSON-RPC message.
   */
  receive(body: unknown): boolean {
    const batch = Array.isArray(body) ? body : [body];
    const messages = batch.map((item) => JSONRPCMessageSchema.safeParse(item));
    if (messages.length === 0 || !messages.every((m) => m.success)) return false;
    for (const message of messages) this.onmessage?.(message.data);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.controller?.close();
    } catch {
      // Already closed by a cancel.
    }
    this.end();
  }

  private write(text: string): void {
    if (this.closed) return;
    try {
      this.controller?.enqueue(this.encoder.encode(text));
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      this.end();
    }
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.onclose?.();
  }
}
