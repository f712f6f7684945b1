import type { Api } from './api.js';
import { h } from './dom.js';
import { when } from './format.js';
import type { Notices } from './notices.js';
import { scopeQuery, type Owner, type WireJob } from './wire.js';

type JobPage = { results: WireJob[]; counts: Record<string, number> };

/** The scope's queued adds (the model works behind): counts by status, the latest jobs, retry a failed one, cancel a waiting one. */
export function queueSection(api: Api, notices: Notices, owner: Owner): HTMLDetailsElement {
  const body = h('div', { class: 'section-body' });
  const section = h('details', { class: 'section', id: 'queue-section' }, h('summary', {}, h('h3', {}, 'Extraction queue')), body);
  const load = async () => {
    const page = await notices.run(() => api.get<JobPage>('/jobs', { ...scopeQuery(owner), limit: 20 }));
    if (!page) return;
    const counts = Object.entries(page.counts).filter(([, n]) => n > 0);
    body.replaceChildren(
      h('p', {}, counts.length === 0 ? 'Nothing was queued for this scope.' : counts.map(([status, n]) => `${n} ${status}`).join(' · ')),
      h(
        'ul',
        { class: 'jobs' },
        page.results.map((job) =>
          h(
            'li',
            {},
            h('span', { class: `badge ${job.status}` }, job.status),
            ` ${when(job.created_at)} · ${job.message_ids.length} message${job.message_ids.length === 1 ? '' : 's'} · ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}`,
            job.error && h('p', { class: 'field-error' }, `${job.error.message} (${job.error.code})`),
            job.status === 'failed' && h('button', { type: 'button', onclick: () => void act(job, 'retry') }, 'Retry'),
            job.status === 'queued' && h('button', { type: 'button', onclick: () => void act(job, 'cancel') }, 'Cancel'),
          ),
        ),
      ),
    );
  };
  const act = async (job: WireJob, action: 'retry' | 'cancel') => {
    const done = await notices.run(() => api.send<WireJob>('POST', `/jobs/${encodeURIComponent(job.id)}/${action}`, scopeQuery(owner)));
    if (done) notices.say(action === 'retry' ? 'The add is queued again.' : 'The add was cancelled.');
    await load();
  };
  section.addEventListener('toggle', () => {
    if (section.open) void load();
  });
  return section;
}
