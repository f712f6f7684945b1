import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isEngramError } from '../index.js';

/** A successful tool result: readable text for the model, the same data as JSON for programs. */
export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/**
 * A failed tool call as MCP reports it (`isError: true`), so the model can read
 * the reason and react, instead of a protocol error. Engram errors keep their
 * stable code: `NOT_FOUND: no current memory with id …`.
 */
export function toolError(error: unknown, hint?: string): CallToolResult {
  const text = isEngramError(error)
    ? `${error.code}: ${error.message}`
    : `INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
  return { content: [{ type: 'text', text: hint === undefined ? text : `${text}\n${hint}` }], isError: true };
}
