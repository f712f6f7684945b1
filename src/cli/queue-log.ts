import type { Memory } from '../index.js';
import { jobLine, workerTroubleLine } from './job-format.js';
import type { RuntimeConfig } from './runtime-config.js';

/**
 * Logs the queue work of a server's in-process worker (`engram serve`,
 * `engram mcp`) on stderr: every failed add and every worker trouble, and with
 * `verbose` every finished add. Returns the unsubscribe.
 */
export function reportQueueWork(
  memory: Memory,
  paths: Pick<RuntimeConfig, 'db' | 'embeddingModel' | 'llmModel'>,
  options: { prefix: string; verbose: boolean; write: (line: string) => void },
): () => void {
  const offJob = memory.onJob((job) => {
    if (job.status === 'failed' || options.verbose) options.write(`${options.prefix}: ${jobLine(job)}`);
  });
  const offError = memory.onWorkerError((error) => options.write(`${options.prefix}: ${workerTroubleLine(error, paths)}`));
  return () => {
    offJob();
    offError();
  };
}
