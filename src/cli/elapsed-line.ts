import { formatDuration, type ProgressStream } from './progress-bar.js';

/**
 * "extracting facts with the local LLM… 3 s" on a terminal, redrawn every
 * second while a wait of unknown length lasts; the returned function clears
 * it. Nothing is written when the stream is a file or a pipe: a log needs no
 * ticking clock.
 */
export function showElapsed(stream: ProgressStream, label: string, now: () => number = () => performance.now()): () => void {
  if (!stream.isTTY) return () => undefined;
  const startedAt = now();
  const draw = () => stream.write(`\r\x1b[2K${label} ${formatDuration((now() - startedAt) / 1000)}`);
  draw();
  const timer = setInterval(draw, 1_000);
  timer.unref();
  let cleared = false;
  return () => {
    if (cleared) return;
    cleared = true;
    clearInterval(timer);
    stream.write('\r\x1b[2K');
  };
}
