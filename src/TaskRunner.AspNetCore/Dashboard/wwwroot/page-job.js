// One job: state, live progress, payload, result, the last error with its stack, attempts and times; cancel or requeue.
import { get, post } from './api.js';
import { h, replace, time, stateBadge, json, link, memo } from './dom.js';

const UNFINISHED = ['Scheduled', 'Pending', 'Running', 'Failed'];

export function mount(main, ctx) {
  const id = ctx.id;
  const body = h('div', { id: 'job' });
  const drawn = memo();
  replace(main, h('p', {}, link('/jobs', '← jobs')), body);

  return async () => {
    let j;
    try {
      j = await get(`jobs/${id}`);
    } catch (e) {
      if (e.status !== 404) throw e;
      replace(body, h('h1', { text: `Job ${id}` }), h('p', { class: 'empty', text: e.message }));
      return;
    }
    if (drawn.same([j, ctx.readOnly])) return;
    const actions = ctx.readOnly ? null : h('div', { class: 'actions' },
      UNFINISHED.includes(j.state) && !j.cancellationRequested && h('button', { class: 'danger', 'data-action': 'cancel', text: 'Cancel',
        onclick: () => ctx.act(() => post(`jobs/${id}/cancel`), (a) => `Job ${id}: ${a.outcome}.`) }),
      j.state === 'DeadLettered' && h('button', { 'data-action': 'requeue', text: 'Requeue',
        onclick: () => ctx.act(() => post(`jobs/${id}/requeue`), `Job ${id} requeued.`) }));
    const field = (label, value) => [h('dt', { text: label }), h('dd', {}, value ?? '—')];
    const progress = j.progressPercent === null || j.progressPercent === undefined
      ? '—'
      : h('span', {}, h('progress', { id: 'progress', max: 100, value: j.progressPercent }), ' ',
        h('span', { id: 'progress-text', text: `${j.progressPercent} %` }), ' ', h('span', { id: 'progress-message', text: j.progressMessage || '' }));
    replace(body,
      h('h1', {}, `Job ${j.id} `, h('span', { id: 'job-name', text: j.name }), ' ', h('span', { id: 'job-state' }, stateBadge(j.state))),
      actions,
      h('h2', { text: 'Progress' }), h('div', {}, progress),
      h('h2', { text: 'Details' }),
      h('dl', { class: 'fields' },
        field('Queue', j.queue), field('Priority', String(j.priority)), field('Attempts', `${j.attempts} of ${j.maxAttempts}`),
        field('Tags', (j.tags || []).join(', ') || null), field('Unique key', j.uniqueKey), field('Concurrency key', j.concurrencyKey),
        field('Batch', j.batchId), field('Created', time(j.createdAt)), field('Run at', time(j.runAt)),
        field('First started', time(j.firstStartedAt)), field('Last started', time(j.lastStartedAt)),
        field('Finished', time(j.finishedAt)), field('Owner', j.owner), field('Lease expires', time(j.leaseExpiresAt)),
        field('Cancellation requested', j.cancellationRequested ? 'yes' : 'no')),
      h('h2', { text: 'Payload' }), h('div', { id: 'payload' }, json(j.payload)),
      h('h2', { text: 'Result' }), h('div', { id: 'result' }, json(j.result)),
      j.lastError && [
        h('h2', { text: 'Last error' }),
        h('div', { id: 'error' },
          h('p', {}, h('strong', { text: j.lastError.type }), ': ', h('span', { id: 'error-message', text: j.lastError.message })),
          j.lastError.stackTrace && h('pre', { id: 'error-stack', text: j.lastError.stackTrace })),
      ]);
  };
}
