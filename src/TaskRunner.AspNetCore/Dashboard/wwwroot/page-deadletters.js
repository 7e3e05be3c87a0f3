// Dead letters: requeue one, the selected, or all shown; purge them all (after an in-page confirmation, no dialog).
import { get, post } from './api.js';
import { h, replace, table, memo } from './dom.js';
import { jobCells, JOB_HEADERS } from './page-jobs.js';

const PAGE = 100;

export function mount(main, ctx) {
  const selected = new Set();
  let shown = [];
  const drawn = memo();
  const list = h('div', { id: 'deadletters' });
  const count = h('span', { class: 'muted', id: 'selected-count' });
  const requeue = (ids, what) => ctx.act(() => post('deadletters/requeue', { ids }),
    (a) => `${a.requeued.length} ${what} requeued${a.skipped.length ? `, ${a.skipped.length} no longer dead-lettered` : ''}.`);
  const confirmPurge = h('span', { class: 'actions', hidden: true },
    'Delete every dead-lettered job? ',
    h('button', { class: 'danger', 'data-action': 'purge-confirm', text: 'Yes, purge', onclick: () => {
      confirmPurge.hidden = true;
      ctx.act(() => post('deadletters/purge'), (a) => `${a.purged} dead-lettered job(s) purged.`);
    } }),
    h('button', { text: 'No', onclick: () => { confirmPurge.hidden = true; } }));
  const toolbar = ctx.readOnly ? null : h('div', { class: 'toolbar' },
    h('button', { 'data-action': 'requeue-selected', text: 'Requeue selected', onclick: () => {
      if (selected.size) requeue([...selected], 'selected job(s)');
    } }),
    h('button', { 'data-action': 'requeue-all', text: 'Requeue all shown', onclick: () => {
      if (shown.length) requeue(shown.map((j) => j.id), 'job(s)');
    } }),
    h('button', { class: 'danger', 'data-action': 'purge', text: 'Purge all…', onclick: () => { confirmPurge.hidden = false; } }),
    confirmPurge, count);
  replace(main, h('h1', { text: 'Dead letters' }),
    h('p', { class: 'muted', text: `Jobs whose attempts ran out, oldest first (the first ${PAGE}).` }), toolbar, list);

  const showCount = () => { count.textContent = `${selected.size} selected`; };
  return async () => {
    const page = await get('jobs', { state: 'DeadLettered', limit: PAGE });
    shown = page.jobs;
    for (const id of [...selected]) if (!shown.some((j) => j.id === id)) selected.delete(id);
    showCount();
    if (drawn.same(shown)) return;
    const rows = shown.map((j) => {
      const cells = [...jobCells(j), j.lastError ? `${j.lastError.type}: ${j.lastError.message}` : ''];
      if (ctx.readOnly) return cells;
      const box = h('input', { type: 'checkbox', 'aria-label': `select job ${j.id}`, 'data-id': j.id, checked: selected.has(j.id), onchange: (e) => {
        if (e.target.checked) selected.add(j.id); else selected.delete(j.id);
        showCount();
      } });
      return [box, ...cells, h('button', { 'data-action': 'requeue', text: 'Requeue', onclick: () => requeue([j.id], `job ${j.id}`) })];
    });
    const headers = [...JOB_HEADERS, 'Error'];
    replace(list, table(ctx.readOnly ? headers : ['', ...headers, ''], rows, 'No dead letters.'));
  };
}
