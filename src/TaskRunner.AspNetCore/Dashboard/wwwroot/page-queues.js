// Queues: depth (waiting jobs) and running jobs from the store, this process's worker slots and pause state; pause/resume.
import { get, post, seg } from './api.js';
import { h, replace, table, link } from './dom.js';

export function mount(main, ctx) {
  const list = h('div', { id: 'queues' });
  replace(main,
    h('h1', { text: 'Queues' }),
    h('p', { class: 'muted', text: 'Workers and paused are this process\'s; pausing stops claiming here only (other processes keep serving the queue).' }),
    list);

  return async () => {
    const [counts, queues] = await Promise.all([get('counts'), get('queues')]);
    const local = new Map(queues.map((q) => [q.name, q]));
    const names = [...new Set([...Object.keys(counts.queues), ...local.keys()])].sort();
    const rows = names.map((name) => {
      const c = counts.queues[name] || {}, q = local.get(name);
      const paused = q?.paused;
      const actions = ctx.readOnly || paused === null || paused === undefined ? '' : h('div', { class: 'actions' },
        paused
          ? h('button', { 'data-action': 'resume', onclick: () => ctx.act(() => post(`queues/${seg(name)}/resume`), `Queue ${name} resumed.`), text: 'Resume' })
          : h('button', { 'data-action': 'pause', onclick: () => ctx.act(() => post(`queues/${seg(name)}/pause`), `Queue ${name} paused.`), text: 'Pause' }));
      return [link(`/jobs?queue=${encodeURIComponent(name)}`, name), (c.pending ?? 0) + (c.scheduled ?? 0) + (c.failed ?? 0), c.running ?? 0,
        q ? q.concurrency : '—', paused === null || paused === undefined ? '—' : (paused ? 'paused' : 'no'), actions];
    });
    replace(list, table(['Queue', '#Waiting', '#Running', '#Workers', 'Paused', ctx.readOnly ? '' : 'Actions'], rows, 'No queues.'));
  };
}
