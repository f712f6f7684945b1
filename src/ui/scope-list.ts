import type { Api } from './api.js';
import { byId, h } from './dom.js';
import { count } from './format.js';
import type { Notices } from './notices.js';
import type { Owner, WireScopeOwner } from './wire.js';

const PAGE = 50;

/** The users, agents and runs holding memories, most recently changed first, each with its count; a page at a time. */
export class ScopeList {
  private readonly list = byId<HTMLUListElement>('scope-list');
  private readonly more = byId<HTMLButtonElement>('scopes-more');
  private shown = 0;
  private selected: Owner | undefined;

  constructor(
    private readonly api: Api,
    private readonly notices: Notices,
    private readonly onSelect: (owner: WireScopeOwner) => void,
    /** Hears every page loaded, so the open scope's counts follow. */
    private readonly onLoaded: (owners: WireScopeOwner[]) => void = () => undefined,
  ) {
    this.more.addEventListener('click', () => void this.load(false));
  }

  /** Loads the first page again (after a change), keeping the selection marked. */
  async reload(): Promise<void> {
    await this.load(true);
  }

  select(owner: Owner | undefined): void {
    this.selected = owner;
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button[data-type]')) {
      const current = owner !== undefined && button.dataset.type === owner.type && button.dataset.id === owner.id;
      if (current) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  }

  private async load(fresh: boolean): Promise<void> {
    const offset = fresh ? 0 : this.shown;
    const page = await this.notices.run(() => this.api.get<{ results: WireScopeOwner[]; total: number }>('/scopes', { limit: PAGE, offset }));
    if (!page) return;
    if (fresh) this.list.replaceChildren();
    if (fresh && page.results.length === 0) this.list.append(h('li', { class: 'hint' }, 'Nothing is remembered yet.'));
    for (const owner of page.results) this.list.append(this.item(owner));
    this.shown = offset + page.results.length;
    this.more.hidden = this.shown >= page.total;
    this.select(this.selected);
    this.onLoaded(page.results);
  }

  private item(owner: WireScopeOwner): HTMLLIElement {
    const button = h(
      'button',
      { type: 'button', class: 'scope', 'data-type': owner.type, 'data-id': owner.id, onclick: () => this.onSelect(owner) },
      h('span', { class: `badge ${owner.type}` }, owner.type),
      h('span', { class: 'scope-id' }, owner.id),
      h('span', { class: 'scope-count' }, count(owner.memories, 'memory', 'memories')),
    );
    return h('li', {}, button);
  }
}
