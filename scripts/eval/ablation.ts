import type { SearchOptions } from '../../src/index.js';
import { fmt } from '../bench/stats.js';
import type { Summary } from './aggregate.js';
import type { LatencySummary } from './report.js';

/** One configuration of hybrid search the ablation runs: a label and the search options that make it. */
export type Variant = { label: string; search: Partial<SearchOptions>; rerank?: boolean };

/**
 * What each retrieval step adds, on its own and together: the signals alone,
 * each step on top of them, the defaults, and (when the run has them) the
 * defaults with the entity graph or the reranker.
 */
export function ablationVariants(options: { graph: boolean; reranker: boolean }): Variant[] {
  const off = { neighbours: false, time: false, graph: false } as const;
  const variants: Variant[] = [
    { label: 'signals only (vector + keyword)', search: off },
    { label: '+ neighbours', search: { ...off, neighbours: true } },
    { label: '+ time in the query', search: { ...off, time: true } },
    { label: 'defaults (neighbours + time)', search: { graph: false } },
  ];
  if (options.graph) variants.push({ label: 'defaults + entity graph', search: { graph: true } });
  if (options.reranker) {
    variants.push({ label: 'signals only + reranker', search: off, rerank: true });
    variants.push({ label: 'defaults + reranker', search: { graph: false }, rerank: true });
  }
  return variants;
}

export type AblationRow = { variant: Variant; summary: Record<string, Summary>; latency: LatencySummary };

const CATEGORY_COLUMNS: readonly [string, string][] = [
  ['1', 'multi'],
  ['2', 'temp'],
  ['3', 'open'],
  ['4', 'single'],
];

/** The ablation table: recall@5/@10 of categories 1-4, R@10 per category, and ms per search. */
export function formatAblation(rows: readonly AblationRow[]): string {
  const r = (s: Summary | undefined, k: 5 | 10) => (s?.evidenceRecall[k] == null ? '-' : (s.evidenceRecall[k] as number).toFixed(3));
  const header = `${'configuration'.padEnd(34)} ${'R@5'.padStart(6)} ${'R@10'.padStart(6)} ${CATEGORY_COLUMNS.map(([, name]) => `${name}@10`.padStart(9)).join(' ')} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)}`;
  const lines = rows.map(({ variant, summary, latency }) =>
    [
      variant.label.padEnd(34),
      r(summary['1-4'], 5).padStart(6),
      r(summary['1-4'], 10).padStart(6),
      ...CATEGORY_COLUMNS.map(([key]) => r(summary[key], 10).padStart(9)),
      fmt(latency.p50Ms).padStart(7),
      fmt(latency.p95Ms).padStart(7),
    ].join(' '),
  );
  return [header, '-'.repeat(header.length), ...lines].join('\n');
}
