import { h, type Child } from './dom.js';
import { score, when } from './format.js';
import type { WireMemory, WireScoredMemory } from './wire.js';

export type CardActions = {
  history: (memory: WireMemory) => void;
  /** Left out in a point-in-time view: the past is read, not edited. */
  edit?: ((memory: WireMemory) => void) | undefined;
  remove?: ((memory: WireMemory) => void) | undefined;
};

const SIGNALS: readonly [keyof NonNullable<WireScoredMemory['signals']>, string][] = [
  ['vector', 'meaning (vector)'],
  ['keyword', 'words (keyword)'],
  ['recency', 'recency'],
  ['importance', 'importance'],
  ['rerank', 'reranker'],
  ['entity', 'entities'],
  ['time', 'time in the query'],
  ['neighbour', 'neighbouring turns'],
];

/** One memory: its text, kind, dates, version and metadata; a search hit also its score and, asked, the signals behind it. */
export function memoryCard(memory: WireMemory | WireScoredMemory, actions: CardActions): HTMLLIElement {
  const scored = 'score' in memory ? memory : undefined;
  const label = `memory-${memory.id}`;
  return h(
    'li',
    { class: 'memory', 'data-id': memory.id },
    h(
      'article',
      { 'aria-labelledby': label },
      h('p', { class: 'memory-text', id: label }, memory.memory),
      h(
        'p',
        { class: 'memory-facts' },
        h('span', { class: `badge ${memory.kind}` }, memory.kind),
        scored && h('span', { class: 'score' }, `score ${score(scored.score)}`),
        h('span', {}, `added ${when(memory.created_at)}`),
        memory.version > 1 && h('span', {}, `changed ${when(memory.updated_at)} · version ${memory.version}`),
        memory.expiration_date && h('span', { class: 'expires' }, `expires ${when(memory.expiration_date)}`),
        scopeLine(memory),
      ),
      metadataList(memory.metadata),
      scored?.signals && signalTable(scored.signals),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => actions.history(memory) }, 'History'),
        actions.edit && h('button', { type: 'button', onclick: () => actions.edit?.(memory) }, 'Edit'),
        actions.remove && h('button', { type: 'button', class: 'danger', onclick: () => actions.remove?.(memory) }, 'Delete'),
      ),
    ),
  );
}

function scopeLine(memory: WireMemory): Child {
  const parts = [memory.user_id && `user ${memory.user_id}`, memory.agent_id && `agent ${memory.agent_id}`, memory.run_id && `run ${memory.run_id}`].filter(Boolean);
  return h('span', { class: 'scope-line' }, parts.join(' · '));
}

/** Metadata as key: value pairs (values as JSON), or nothing. */
export function metadataList(metadata: Record<string, unknown> | undefined): Child {
  const entries = Object.entries(metadata ?? {});
  if (entries.length === 0) return null;
  return h(
    'dl',
    { class: 'metadata' },
    entries.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, typeof value === 'string' ? value : JSON.stringify(value))]),
  );
}

function signalTable(signals: NonNullable<WireScoredMemory['signals']>): HTMLElement {
  return h(
    'details',
    { class: 'signals' },
    h('summary', {}, 'Why this score'),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'signal'), h('th', { scope: 'col' }, 'score'))),
      h(
        'tbody',
        {},
        SIGNALS.filter(([key]) => typeof signals[key] === 'number').map(([key, name]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, score(signals[key] as number)))),
      ),
    ),
  );
}
