import { formatDuration, renderBar, type ProgressStream } from './progress-bar.js';

const NUMBER = new Intl.NumberFormat('en-US');

/** "  memories  ███░░░  42%  420 / 1,000  85/s  ETA 7 s", within `columns`. */
export function countLine(fields: { label: string; done: number; total: number; rate: number | undefined; columns: number }): string {
  const { label, done, total, rate } = fields;
  if (total <= 0) return `  ${label}  ${NUMBER.format(done)}`;
  const fraction = done / total;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const amount = `${NUMBER.format(done)} / ${NUMBER.format(total)}`;
  const speed = rate === undefined ? '' : `${NUMBER.format(Math.round(rate))}/s`;
  const eta = rate && done < total ? `ETA ${formatDuration((total - done) / rate)}` : '';
  const tail = [percent, amount, speed, eta].filter(Boolean).join('  ');
  const room = fields.columns - label.length - tail.length - 8;
  const bar = room >= 10 ? `${renderBar(fraction, Math.min(30, room))}  ` : '';
  return `  ${label}  ${bar}${tail}`.slice(0, Math.max(20, fields.columns - 1));
}

/**
 * Progress of a counted job (import, reindex) on stderr, as `engram models
 * pull` shows downloads: one redrawn line on a terminal; plain lines every
 * 10 % when the stream is a file or a pipe, so logs stay readable.
 */
export class CountProgressView {
  private label = '';
  private startedAt = 0;
  private startDone = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastDecile = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Reports `done` of `total` for `label`; a new label starts a new bar. `total` 0 means unknown. */
  update(label: string, done: number, total: number): void {
    const at = this.now();
    if (label !== this.label) this.start(label, done, at);
    const elapsed = (at - this.startedAt) / 1000;
    const rate = elapsed >= 1 && done > this.startDone ? (done - this.startDone) / elapsed : undefined;
    if (this.stream.isTTY) return this.redraw({ label, done, total, rate }, at);
    if (total <= 0) return;
    const decile = Math.floor((done / total) * 10);
    if (decile <= this.lastDecile) return;
    this.lastDecile = decile;
    const eta = rate && done < total ? `, ${formatDuration((total - done) / rate)} left` : '';
    this.stream.write(`${label}: ${decile * 10}% (${NUMBER.format(done)} of ${NUMBER.format(total)}${eta})\n`);
  }

  /** Ends a redrawn line so that the next output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private start(label: string, done: number, at: number): void {
    this.finish();
    this.label = label;
    this.startedAt = at;
    this.startDone = done;
    this.lastDecile = 0;
    this.lastDraw = Number.NEGATIVE_INFINITY;
  }

  private redraw(fields: { label: string; done: number; total: number; rate: number | undefined }, at: number): void {
    if (at - this.lastDraw < 100 && fields.done !== fields.total) return;
    this.lastDraw = at;
    this.stream.write(`\r\x1b[2K${countLine({ ...fields, columns: this.stream.columns || 80 })}`);
    this.drawn = true;
  }
}
