import type { Api } from './api.js';
import { fill, h } from './dom.js';
import { when } from './format.js';
import type { Notices } from './notices.js';
import { scopeQuery, type Owner, type WireEntity, type WireRelation } from './wire.js';

/** The scope's entities and the relations between them (as of the view's moment), loaded when opened. */
export function graphSection(api: Api, notices: Notices, owner: Owner, asOf: string | undefined): HTMLDetailsElement {
  const body = h('div', { class: 'section-body' }, h('p', { class: 'hint' }, 'Loading…'));
  const section = h('details', { class: 'section', id: 'graph-section' }, h('summary', {}, h('h3', {}, 'Entities and relations')), body);
  let loaded = false;
  section.addEventListener('toggle', () => {
    if (!section.open || loaded) return;
    loaded = true;
    void notices
      .run(() =>
        Promise.all([
          api.get<{ results: WireEntity[] }>('/graph/entities', { ...scopeQuery(owner), limit: 200 }),
          api.get<{ results: WireRelation[] }>('/graph/relations', { ...scopeQuery(owner), as_of: asOf }),
        ]),
      )
      .then((found) => {
        if (!found) {
          loaded = false;
          return;
        }
        const [entities, relations] = found;
        fill(
          body,
          entities.results.length === 0
            ? h('p', { class: 'hint' }, 'No entities: the graph is off for this store, or nothing was linked yet.')
            : h('ul', { class: 'entities' }, entities.results.map((e) => h('li', {}, h('span', { class: 'badge' }, e.type), ' ', e.name, e.aliases.length > 0 ? ` (also ${e.aliases.join(', ')})` : ''))),
          relations.results.length > 0 &&
            h(
              'ul',
              { class: 'relations' },
              relations.results.map((r) =>
                h('li', {}, `${r.source.name} — ${r.relation.replaceAll('_', ' ')} → ${r.target.name}`, h('span', { class: 'hint' }, ` since ${when(r.valid_from)}${r.valid_to ? `, until ${when(r.valid_to)}` : ''}`)),
              ),
            ),
        );
      });
  });
  return section;
}
