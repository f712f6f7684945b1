import { ApiError, type Api } from './api.js';
import { byId, fill, h, type Child } from './dom.js';
import { actorName, when } from './format.js';
import { metadataList } from './memory-card.js';
import type { Notices } from './notices.js';
import { scopeQuery, type Owner, type WireHistoryEntry, type WireMemory, type WireMessage } from './wire.js';

const EVENT_NAMES: Readonly<Record<string, string>> = { ADD: 'Added', UPDATE: 'Changed', DELETE: 'Deleted' };

/**
 * One memory beside the list: its history as a timeline (every version, who
 * made it: a person, the model or a program, and why), the messages it was
 * stored from, and the form that corrects it (a new version; the old stays).
 */
export class MemoryPanel {
  private readonly panel = byId('memory-panel');

  constructor(
    private readonly api: Api,
    private readonly notices: Notices,
    /** Called after an edit (or a refused one), so the list shows the current version. */
    private readonly onChanged: () => Promise<void>,
  ) {}

  close(): void {
    this.panel.hidden = true;
    this.panel.replaceChildren();
  }

  /** Shows the memory's history; `editing` opens the form too; `asOf` shows the sources of the version current then. */
  async open(memory: WireMemory, owner: Owner, options: { editing?: boolean; asOf?: string | undefined } = {}): Promise<void> {
    const scope = scopeQuery(owner);
    const loaded = await this.notices.run(() =>
      Promise.all([
        this.api.get<WireHistoryEntry[]>(`/memories/${encodeURIComponent(memory.id)}/history`, scope),
        this.api.get<{ results: WireMessage[] }>(`/memories/${encodeURIComponent(memory.id)}/sources`, { ...scope, as_of: options.asOf }),
      ]),
    );
    if (!loaded) return;
    const [history, sources] = loaded;
    const current = history.at(-1)?.event !== 'DELETE';
    fill(
      this.panel,
      h('div', { class: 'panel-head' }, h('h2', { id: 'panel-title' }, 'Memory'), h('button', { type: 'button', onclick: () => this.close() }, 'Close')),
      h('p', { class: 'memory-text' }, memory.memory),
      metadataList(memory.metadata),
      options.editing && current ? this.editForm(memory, owner) : null,
      h('h3', {}, 'Stored from'),
      sourceList(sources.results),
      h('h3', {}, `History (${history.length})`),
      h('ol', { class: 'timeline' }, history.map(timelineEntry)),
    );
    this.panel.hidden = false;
    // Focus moves to the panel (on a phone it sits above the list: this scrolls it into view).
    const field = options.editing ? this.panel.querySelector<HTMLElement>('textarea') : null;
    if (field) field.focus();
    else this.panel.focus();
  }

  private editForm(memory: WireMemory, owner: Owner): HTMLFormElement {
    const text = h('textarea', { id: 'edit-text', rows: 3, required: true });
    text.value = memory.memory;
    const metadata = h('textarea', { id: 'edit-metadata', rows: 3, spellcheck: 'false' });
    metadata.value = JSON.stringify(memory.metadata ?? {}, null, 2);
    const problem = h('p', { class: 'field-error', id: 'edit-problem', 'aria-live': 'polite' });
    const form = h(
      'form',
      {
        class: 'edit',
        onsubmit: (event) => {
          event.preventDefault();
          void this.save(memory, owner, text.value, metadata.value, problem);
        },
      },
      h('h3', {}, 'Correct it'),
      h('label', { for: 'edit-text' }, 'Text'),
      text,
      h('label', { for: 'edit-metadata' }, 'Metadata (a JSON object)'),
      metadata,
      problem,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => void this.open(memory, owner) }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, 'Save as a new version'),
      ),
    );
    metadata.setAttribute('aria-describedby', 'edit-problem');
    return form;
  }

  private async save(memory: WireMemory, owner: Owner, text: string, metadataText: string, problem: HTMLElement): Promise<void> {
    let metadata: unknown;
    try {
      metadata = JSON.parse(metadataText === '' ? '{}' : metadataText);
    } catch (error) {
      problem.textContent = `The metadata is not JSON: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      problem.textContent = 'The metadata must be a JSON object, like {"topic": "diet"}.';
      return;
    }
    problem.textContent = '';
    const path = `/memories/${encodeURIComponent(memory.id)}`;
    let saved: WireMemory;
    try {
      saved = await this.api.send<WireMemory>('PUT', path, scopeQuery(owner), { text, metadata, changed_by: 'user', if_version: memory.version });
    } catch (error) {
      // Changed meanwhile: show the list as it is now, then say why nothing was saved.
      if (error instanceof ApiError && error.code === 'CONFLICT') await this.onChanged();
      this.notices.fail(error);
      return;
    }
    this.notices.clear();
    await this.onChanged();
    await this.open(saved, owner);
    this.notices.say(saved.version === memory.version ? 'Nothing changed.' : `Saved as version ${saved.version}; the earlier text stays in the history.`);
  }
}

function sourceList(messages: WireMessage[]): Child {
  if (messages.length === 0) return h('p', { class: 'hint' }, 'No messages are kept for this version (stored directly, or imported without them).');
  return h(
    'ol',
    { class: 'sources' },
    messages.map((m) => h('li', {}, h('span', { class: 'role' }, m.name ? `${m.role} (${m.name})` : m.role), ' ', h('time', { datetime: m.created_at }, when(m.created_at)), h('p', {}, m.content))),
  );
}

function timelineEntry(entry: WireHistoryEntry): HTMLLIElement {
  const changedText = entry.event === 'UPDATE' && entry.old_memory !== entry.new_memory;
  return h(
    'li',
    { class: `event ${entry.event.toLowerCase()}` },
    h('p', { class: 'event-head' }, h('strong', {}, EVENT_NAMES[entry.event] ?? entry.event), ` by ${actorName(entry.actor)} · `, h('time', { datetime: entry.created_at }, when(entry.created_at))),
    entry.event === 'ADD' && h('p', {}, entry.new_memory ?? ''),
    changedText && h('p', {}, h('del', {}, entry.old_memory ?? ''), h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → '), h('ins', {}, entry.new_memory ?? '')),
    entry.event === 'UPDATE' && !changedText && h('p', { class: 'hint' }, 'Metadata changed.'),
    entry.event === 'DELETE' && h('p', {}, h('del', {}, entry.old_memory ?? '')),
    entry.reason && h('p', { class: 'reason' }, `Why: ${entry.reason}`),
  );
}
