// Jobs: filters (state, queue, name, tag) kept in the route's query, search by id, pages in id order (afterId).
import { get } from './api.js';
import { h, replace, table, time, stateBadge, link, memo } from './dom.js';
import { STATES } from './page-overview.js';

const PAGE = 50;

/** The columns every job list shows (the dead letters page adds its own). */
export function jobCells(j) {
  return [
    link(`/jobs/${j.id}`, String(j.id)),
    j.name,
    j.queue,
    stateBadge(j.state),
    j.progressPercent === null || j.progressPercent === undefined ? '' : `${j.progressPercent} %`,
    (j.tags || []).join(', '),
    `${j.attempts}/${j.maxAttempts}`,
    time(j.createdAt),
    time(j.finishedAt),
  ];
}

export const JOB_HEADERS = ['#Id', 'Name', 'Queue', 'State', 'Progress', 'Tags', 'Attempts', 'Created', 'Finished'];

export function mount(main, ctx) {
  const p = ctx.params;
  const field = (name, label) => h('label', {}, label, h('input', { name, value: p.get(name) || '', autocomplete: 'off' }));
  const state = h('select', { name: 'state' }, h('option', { value: '', text: 'any' }),
    STATES.map(([, s]) => h('option', { value: s, selected: p.get('state') === s, text: s })));
  const filters = h('form', { class: 'toolbar', id: 'filters', onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(e.target)) if (v) q.set(k, v);
    ctx.navigate(`/jobs?${q}`);
  } }, h('label', {}, 'State', state), field('queue', 'Queue'), field('name', 'Job name'), field('tag', 'Tag'), h('button', { type: 'submit', text: 'Filter' }));
  const search = h('form', { class: 'toolbar', id: 'search', onsubmit: (e) => {
    e.preventDefault();
    const id = e.target.elements.id.value.trim();
    if (/^\d+$/.test(id)) ctx.navigate(`/jobs/${id}`);
    else ctx.say(`'${id}' is not a job id: a job id is a whole number.`, true);
  } }, h('label', {}, 'Job id', h('input', { name: 'id', inputmode: 'numeric', autocomplete: 'off' })), h('button', { type: 'submit', text: 'Open' }));

  // Pages are read forward by afterId; the ids where earlier pages started are kept to go back.
  const starts = [];
  let afterId = null;
  let next = null;
  const list = h('div', { id: 'jobs' });
  const drawn = memo();
  const older = h('button', { text: 'Previous page', onclick: () => { afterId = starts.pop() ?? null; ctx.refresh(); } });
  const newer = h('button', { text: 'Next page', onclick: () => { starts.push(afterId); afterId = next; ctx.refresh(); } });
  replace(main, h('h1', { text: 'Jobs' }), filters, search, list, h('div', { class: 'actions' }, older, newer));

  return async () => {
    const page = await get('jobs', {
      state: p.get('state'), queue: p.get('queue'), name: p.get('name'), tag: p.get('tag'), afterId, limit: PAGE,
    });
    next = page.nextAfterId;
    older.disabled = starts.length === 0;
    newer.disabled = next === null;
    if (drawn.same([afterId, page.jobs])) return;
    replace(list, table(JOB_HEADERS, page.jobs.map(jobCells), 'No job matches.'));
  };
}
