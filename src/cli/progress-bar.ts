import type { PullEvent } from '../models/pull.js';

/** Where progress goes: stderr, in practice. */
export type ProgressStream = { write(text: string): unknown; isTTY?: boolean | undefined; columns?: number | undefined };

/** 1,234,567 → "1.23 MB" (decimal units, like the hub and most download tools). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Seconds → "42 s", "3:05", "1:02:03". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** A bar of `width` cells, `fraction` of them full. */
export function renderBar(fraction: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** Transfer speed over the last few seconds, in bytes per second. */
export class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 5_000) {}

  add(at: number, bytes: number): void {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && (this.samples[0]?.at ?? at) < at - this.windowMs) this.samples.shift();
  }

  /** undefined until there is a second of data. */
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 1_000) return undefined;
    return Math.max(0, (last.bytes - first.bytes) / ((last.at - first.at) / 1000));
  }
}

/** One progress line: name, bar, percentage, bytes, speed, time left. */
export function progressLine(fields: {
  model: string;
  received: number;
  total: number | undefined;
  speed: number | undefined;
  columns: number;
}): string {
  const { model, received, total, speed } = fields;
  const fraction = total ? received / total : undefined;
  const percent = fraction === undefined ? '' : `${Math.floor(fraction * 100)}%`.padStart(4);
  const amount = total ? `${formatBytes(received)} / ${formatBytes(total)}` : formatBytes(received);
  const rate = speed === undefined ? '' : `${formatBytes(speed)}/s`;
  const eta = speed && total && received < total ? `ETA ${formatDuration((total - received) / speed)}` : '';
  const tail = [percent, amount, rate, eta].filter(Boolean).join('  ');
  const room = fields.columns - model.length - tail.length - 8;
  const bar = fraction !== undefined && room >= 10 ? `${renderBar(fraction, Math.min(30, room))}  ` : '';
  return `  ${model}  ${bar}${tail}`.slice(0, Math.max(20, fields.columns - 1));
}

/**
 * Shows `pullModels` events on a stream: one redrawn line on a terminal; plain
 * lines (every 10 %) when the stream is a file or a pipe, so logs stay readable.
 */
export class PullProgressView {
  private readonly meters = new Map<string, SpeedMeter>();
  private readonly state = new Map<string, { received: number; total: number | undefined }>();
  private readonly lastDecile = new Map<string, number>();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = () => performance.now(),
  ) {}

  handle(event: PullEvent): void {
    switch (event.type) {
      case 'verifying':
        return this.say(`${event.model}: checking the installed copy (${event.slot})…`);
      case 'damaged':
        return this.say(`${event.model}: the installed copy is damaged (${event.files.join(', ')}); downloading it again`);
      case 'resolving':
        return this.say(`${event.model}: looking up ${event.files} file${event.files === 1 ? '' : 's'}…`);
      case 'model-start': {
        this.meters.set(event.model, new SpeedMeter());
        const size = event.totalBytes === undefined ? '' : ` ${formatBytes(event.totalBytes)}`;
        const resumed = event.resumedBytes > 0 ? `, resuming after ${formatBytes(event.resumedBytes)}` : '';
        return this.say(`${event.model}: downloading${size}${resumed}`);
      }
      case 'progress':
        return this.progress(event);
      case 'file-done':
        return;
      case 'installed':
        this.progress({ ...event, type: 'progress', file: '', receivedBytes: 0, totalBytes: undefined, resumedBytes: 0 }, true);
        return this.say(`${event.model}: installed as ${event.slot}${event.replaced ? ` (replaces ${event.replaced})` : ''}`);
      case 'skipped':
        return this.say(`${event.model}: already installed and intact (${event.slot}); --force downloads it again`);
    }
  }

  /** Ends a redrawn line so the next output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private progress(event: Extract<PullEvent, { type: 'progress' }>, final = false): void {
    const at = this.now();
    if (!final) {
      this.state.set(event.model, { received: event.receivedBytes, total: event.totalBytes });
      this.meters.get(event.model)?.add(at, event.receivedBytes - event.resumedBytes);
    }
    const state = this.state.get(event.model);
    if (!state) return;
    const speed = this.meters.get(event.model)?.bytesPerSecond();
    if (this.stream.isTTY) {
      if (!final && at - this.lastDraw < 100 && state.received !== state.total) return;
      this.lastDraw = at;
      const line = progressLine({ model: event.model, received: state.received, total: state.total, speed, columns: this.stream.columns || 80 });
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    if (final || !state.total) return;
    const decile = Math.floor((state.received / state.total) * 10);
    if (decile <= (this.lastDecile.get(event.model) ?? 0)) return;
    this.lastDecile.set(event.model, decile);
    const rate = speed === undefined ? '' : `, ${formatBytes(speed)}/s`;
    const eta = speed && state.received < state.total ? `, ${formatDuration((state.total - state.received) / speed)} left` : '';
    this.stream.write(`${event.model}: ${decile * 10}% (${formatBytes(state.received)} of ${formatBytes(state.total)}${rate}${eta})\n`);
  }

  private say(line: string): void {
    this.finish();
    this.stream.write(`${line}\n`);
  }
}
