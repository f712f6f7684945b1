import type { Memory, Scope } from '../index.js';

/**
 * A scope's export as a JSON Lines download, streamed a record at a time. A
 * failure half-way errors the stream, so the client sees a failed download,
 * never a short file that looks whole.
 */
export async function exportResponse(memory: Memory, scope: Scope): Promise<Response> {
  const records = memory.export({ scope });
  const encoder = new TextEncoder();
  // The first record is read before answering: a refused scope (validated when the export starts) is a 400, not a broken download.
  let next: IteratorResult<unknown> | undefined = await records.next();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      next ??= await records.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      next = undefined;
    },
    async cancel() {
      await records.return(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${exportFileName(scope)}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** `engram-user-alice-2026-12-03.jsonl`: the scope's names, reduced to characters every file system and header takes (no leading dots). */
export function exportFileName(scope: Scope, now = new Date()): string {
  const parts = (['userId', 'agentId', 'runId'] as const)
    .filter((key) => scope[key] !== undefined)
    .map((key) => `${key.slice(0, -2)}-${(scope[key] as string).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 40)}`);
  return `engram-${parts.join('-')}-${now.toISOString().slice(0, 10)}.jsonl`;
}
