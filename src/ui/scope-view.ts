import { ApiError, type Api } from './api.js';
import { confirmAction } from './dialogs.js';
import { byId, fill, h } from './dom.js';
import { count, localInputToIso, ownerName, when } from './format.js';
import { graphSection } from './graph-section.js';
import { memoryCard, type CardActions } from './memory-card.js';
import type { MemoryPanel } from './memory-panel.js';
import type { Notices } from './notices.js';
import { queueSection } from './queue-section.js';
import { scopeQuery, type Erased, type Owner, type WireMemory, type WireScopeOwner, type WireScoredMemory } from './wire.js';

const PAGE = 50;

/**
 * One user's, agent's or run's memories: newest first, a page at a time, or
 * as they were at a moment (`asOf`); a search with scores; export and forget.
 */
export class ScopeView {
  private readonly title = byId('scope-title');
  private readonly body = byId('scope-body');
  private owner: WireScopeOwner | undefined;
  private asOf: string | undefined;
  private list = h('ol', { class: 'memories' });
  private more = h('button', { type: 'button', hidden: true }, 'Show more');
  private shown = 0;
  private searching: string | undefined;

  constructor(
    private readonly api: Api,
    private readonly notices: Notices,
    private readonly panel: MemoryPanel,
    /** After a delete or a forget: the scope list's counts change. */
    private readonly onScopesChanged: (forgotten: boolean) => void,
  ) {
    this.more.addEventListener('click', () => void this.loadPage(false));
  }

  get current(): Owner | undefined {
    return this.owner;
  }

  async open(owner: WireScopeOwner): Promise<void> {
    this.owner = owner;
    this.asOf = undefined;
    this.searching = undefined;
    this.panel.close();
    this.render();
    byId('scope-view').focus();
    await this.loadPage(true);
  }

  /** Takes the open scope's fresh counts from a scope list just loaded. */
  recount(owners: readonly WireScopeOwner[]): void {
    const fresh = owners.find((o) => o.type === this.owner?.type && o.id === this.owner.id);
    if (!fresh) return;
    this.owner = fresh;
    const summary = this.body.querySelector('#scope-summary');
    if (summary) summary.textContent = summaryOf(fresh);
  }

  /** Shows the list again from its first page (after an edit or a delete). */
  async refresh(): Promise<void> {
    if (this.searching !== undefined) await this.search(this.searching, false);
    else await this.loadPage(true);
  }

  private render(): void {
    const owner = this.owner;
    if (!owner) return;
    fill(this.title, ownerName(owner));
    this.list = h('ol', { class: 'memories', 'aria-label': `Memories of ${ownerName(owner)}` });
    this.more.hidden = true;
    fill(
      this.body,
      h('p', { class: 'scope-summary', id: 'scope-summary' }, summaryOf(owner)),
      h(
        'div',
        { class: 'toolbar' },
        // No live updates: the model may add while the page is open.
        h('button', { type: 'button', onclick: () => void this.reload() }, 'Reload'),
        h('button', { type: 'button', onclick: () => void this.exportScope(owner) }, 'Export'),
        h('button', { type: 'button', class: 'danger', onclick: () => void this.forget(owner) }, 'Forget…'),
      ),
      this.searchForm(),
      this.asOfForm(),
      h('p', { id: 'view-caption', class: 'caption', 'aria-live': 'polite' }),
      this.list,
      this.more,
      graphSection(this.api, this.notices, owner, this.asOf),
      queueSection(this.api, this.notices, owner),
    );
  }

  private async reload(): Promise<void> {
    this.onScopesChanged(false);
    await this.refresh();
    this.notices.say('Reloaded.');
  }

  private searchForm(): HTMLFormElement {
    const input = h('input', { id: 'search-input', type: 'search', autocomplete: 'off' });
    const explain = h('input', { id: 'search-explain', type: 'checkbox' });
    return h(
      'form',
      {
        class: 'search',
        role: 'search',
        onsubmit: (event) => {
          event.preventDefault();
          const query = input.value.trim();
          if (query === '') void this.loadPage(true);
          else void this.search(query, explain.checked);
        },
      },
      h('label', { for: 'search-input' }, 'Search these memories'),
      input,
      h('span', { class: 'check' }, explain, h('label', { for: 'search-explain' }, 'Show why')),
      h('button', { type: 'submit' }, 'Search'),
    );
  }

  private asOfForm(): HTMLFormElement {
    const input = h('input', { id: 'as-of-input', type: 'datetime-local', step: 1 });
    return h(
      'form',
      {
        class: 'as-of',
        onsubmit: (event) => {
          event.preventDefault();
          const asOf = localInputToIso(input.value);
          if (asOf === undefined) {
            this.notices.fail(new Error('Choose a date and time to see the memories as they were then.'));
            return;
          }
          this.asOf = asOf;
          void this.refresh();
        },
      },
      h('label', { for: 'as-of-input' }, 'As they were on'),
      input,
      h('button', { type: 'submit' }, 'Show'),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            input.value = '';
            this.asOf = undefined;
            void this.refresh();
          },
        },
        'Now',
      ),
    );
  }

  private async loadPage(fresh: boolean): Promise<void> {
    const owner = this.owner;
    if (!owner) return;
    this.searching = undefined;
    const offset = fresh ? 0 : this.shown;
    const page = await this.notices.run(() =>
      this.api.get<{ results: WireMemory[] }>('/memories', { ...scopeQuery(owner), limit: PAGE, offset, as_of: this.asOf }),
    );
    if (!page) return;
    if (fresh) this.list.replaceChildren();
    for (const memory of page.results) this.list.append(memoryCard(memory, this.actions(owner)));
    this.shown = offset + page.results.length;
    this.more.hidden = page.results.length < PAGE;
    this.caption(
      this.shown === 0
        ? this.asOf
          ? `Nothing was remembered at ${when(this.asOf)}.`
          : 'No current memories.'
        : this.asOf
          ? `As they were at ${when(this.asOf)}, newest first (read only).`
          : 'Newest first.',
    );
  }

  private async search(query: string, explain: boolean): Promise<void> {
    const owner = this.owner;
    if (!owner) return;
    const found = await this.notices.run(() =>
      this.api.send<{ results: WireScoredMemory[] }>('POST', '/search', {}, { query, ...scopeQuery(owner), limit: 20, explain, as_of: this.asOf }),
    );
    if (!found) return;
    this.searching = query;
    this.list.replaceChildren(...found.results.map((memory) => memoryCard(memory, this.actions(owner))));
    this.more.hidden = true;
    this.caption(`${count(found.results.length, 'result')} for “${query}”${this.asOf ? ` at ${when(this.asOf)}` : ''}, best first.`);
  }

  private caption(text: string): void {
    const caption = this.body.querySelector('#view-caption');
    if (caption) caption.textContent = text;
  }

  private actions(owner: Owner): CardActions {
    const asOf = this.asOf;
    return {
      history: (memory) => void this.panel.open(memory, owner, { asOf }),
      edit: asOf ? undefined : (memory) => void this.panel.open(memory, owner, { editing: true }),
      remove: asOf ? undefined : (memory) => void this.remove(memory, owner),
    };
  }

  private async remove(memory: WireMemory, owner: Owner): Promise<void> {
    const sure = await confirmAction({
      title: 'Delete this memory?',
      body: [`“${memory.memory}”`, 'It leaves searches and lists. Its history stays (Forget erases a whole scope for good).'],
      confirmLabel: 'Delete',
    });
    if (!sure) return;
    try {
      await this.api.send('DELETE', `/memories/${encodeURIComponent(memory.id)}`, { ...scopeQuery(owner), changed_by: 'user', if_version: memory.version });
    } catch (error) {
      // Changed meanwhile: show it as it is now, then say why it was not deleted.
      if (error instanceof ApiError && error.code === 'CONFLICT') await this.refresh();
      this.notices.fail(error);
      return;
    }
    this.notices.clear();
    this.notices.say('Deleted. Its history stays.');
    this.panel.close();
    this.onScopesChanged(false);
    await this.refresh();
  }

  private async exportScope(owner: Owner): Promise<void> {
    const file = await this.notices.run(() => this.api.download('/export', scopeQuery(owner)));
    if (!file) return;
    const url = URL.createObjectURL(file.blob);
    const link = h('a', { href: url, download: file.fileName, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    this.notices.say(`Exported ${ownerName(owner)} as ${file.fileName} (\`engram import\` reads it).`);
  }

  private async forget(owner: WireScopeOwner): Promise<void> {
    const sure = await confirmAction({
      title: `Forget ${ownerName(owner)} for good?`,
      body: [
        `This erases ${count(owner.memories, 'current memory', 'current memories')} of ${ownerName(owner)}${owner.type === 'user' ? ' (with every agent and run of theirs)' : ''}, ` +
          'every earlier version and deleted memory, their history, the conversation messages logged for them, their queued adds, their entities and relations, and their own policies.',
        'Nothing is kept, not even history, and it cannot be undone. Export first if it may be needed again.',
      ],
      confirmLabel: 'Forget for good',
      typeToConfirm: owner.id,
    });
    if (!sure) return;
    const done = await this.notices.run(() => this.api.send<{ erased: Erased }>('DELETE', '/scopes', scopeQuery(owner)));
    if (!done) return;
    const { erased } = done;
    this.notices.say(
      `Forgot ${ownerName(owner)}: ${count(erased.memories, 'memory', 'memories')}, ${count(erased.messages, 'message')}, ${count(erased.jobs, 'queued add')}, ` +
        `${count(erased.entities, 'entity', 'entities')} and ${count(erased.relations, 'relation')} erased.`,
    );
    this.owner = undefined;
    this.panel.close();
    fill(this.title, 'Choose a user, agent or run');
    fill(this.body, h('p', { class: 'hint' }, `${ownerName(owner)} is forgotten.`));
    this.onScopesChanged(true);
  }
}

function summaryOf(owner: WireScopeOwner): string {
  return `${count(owner.memories, 'current memory', 'current memories')} · first ${when(owner.created_at)} · last change ${when(owner.updated_at)}`;
}
