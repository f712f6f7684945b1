import { fmt } from '../bench/stats.js';
import { GROUPS, type Summary } from './aggregate.js';
import type { IngestStats } from './ingest.js';
import { ANSWER_K, KS } from './metrics.js';
import type { DataQuirks } from './questions.js';
import type { SearchMode } from './search-pass.js';

export type LatencySummary = { searches: number; p50Ms: number; p95Ms: number; meanMs: number };

/** Everything one run measured; `--json` writes exactly this. */
export type EvalReport = {
  runAt: string;
  data: string;
  embeddingModel: string;
  infer: boolean;
  llmModel?: string;
  conversations: string[];
  modes: SearchMode[];
  ingest: IngestStats & { memories: number; turnsWithoutMemory: number; turnsPerMemory: number; totalMs: number; msPerTurn: number; msPerMemory: number | null };
  latency: Partial<Record<SearchMode, LatencySummary>>;
  /** Per mode, per group key ("1".."5", "1-4"). */
  results: Partial<Record<SearchMode, Record<string, Summary>>>;
  quirks: DataQuirks;
};

const COLUMNS: readonly [string, number][] = [
  ['category', 18],
  ['mode', 10],
  ['n', 5],
  ['n.ev', 5],
  ...KS.map((k): [string, number] => [`R@${k}`, 6]),
  ...KS.map((k): [string, number] => [`All@${k}`, 7]),
  [`Ans@${ANSWER_K}`, 7],
];

/** The fixed-width table: one row per category and mode, categories 1-4 together last. */
export function formatTable(report: EvalReport): string {
  const lines = [row(COLUMNS.map(([name]) => name)), row(COLUMNS.map(([, width]) => '-'.repeat(width)))];
  for (const group of GROUPS) {
    for (const mode of report.modes) {
      const s = report.results[mode]?.[group.key];
      if (!s || s.questions === 0) continue;
      lines.push(
        row([
          group.label,
          mode,
          String(s.questions),
          String(s.withEvidence),
          ...KS.map((k) => figure(s.evidenceRecall[k])),
          ...KS.map((k) => figure(s.allEvidence[k])),
          figure(s.answerRecall),
        ]),
      );
    }
  }
  return lines.join('\n');
}

/** One headline line per mode: categories 1-4, as LoCoMo results are usually reported. */
export function formatSummary(report: EvalReport): string {
  return report.modes
    .map((mode) => {
      const s = report.results[mode]?.['1-4'];
      const lat = report.latency[mode];
      const extra = s ? ` (@5 ${figure(s.evidenceRecall[5])}, @30 ${figure(s.evidenceRecall[30])}, answer-token recall@${ANSWER_K} ${figure(s.answerRecall)})` : '';
      const timing = lat ? `, search p50 ${fmt(lat.p50Ms, 1)} ms p95 ${fmt(lat.p95Ms, 1)} ms` : '';
      return `${mode.padEnd(10)} categories 1-4: evidence recall@10 = ${figure(s?.evidenceRecall[10] ?? null)}${extra}${timing}`;
    })
    .join('\n');
}

export function formatIngest(report: EvalReport): string {
  const i = report.ingest;
  const events = Object.entries(i.events)
    .map(([event, n]) => `${event} ${n}`)
    .join(', ');
  const failed = i.failedChunks > 0 ? `; ${i.failedChunks} chunks failed (first: ${i.firstFailure ?? '?'})` : '';
  return (
    `ingest: ${i.turns} turns in ${i.addCalls} add calls → ${i.memories} memories (${events}; ${i.turnsWithoutMemory} turns in no memory, ${fmt(i.turnsPerMemory)} turns per memory) in ${fmt(i.totalMs / 1000, 1)} s: ` +
    `${fmt(i.msPerTurn)} ms per turn, ${i.msPerMemory === null ? '-' : fmt(i.msPerMemory)} ms per memory${failed}`
  );
}

export function formatQuirks(quirks: DataQuirks): string {
  const skipped = quirks.skippedEvidence.map((s) => `${s.sampleId} "${s.raw}" (${s.reason})`).join(', ');
  const repaired = quirks.repairedEvidence.map((r) => `${r.sampleId} "${r.raw}"`).join(', ');
  return (
    `data quirks: ${quirks.repairedEvidence.length} evidence entries repaired${repaired ? ` [${repaired}]` : ''}; ` +
    `${quirks.skippedEvidence.length} evidence ids skipped${skipped ? ` [${skipped}]` : ''}; ` +
    `${quirks.withoutEvidence} questions without usable evidence; ${quirks.withoutAnswerTokens} category 1-4 answers without content tokens`
  );
}

function figure(value: number | null): string {
  return value === null ? '-' : value.toFixed(3);
}

function row(cells: readonly string[]): string {
  return cells.map((cell, i) => (i < 2 ? cell.padEnd(COLUMNS[i]?.[1] ?? 0) : cell.padStart(COLUMNS[i]?.[1] ?? 0))).join(' ');
}
