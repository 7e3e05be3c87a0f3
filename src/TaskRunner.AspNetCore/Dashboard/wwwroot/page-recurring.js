// Recurring jobs: cron, zone, next occurrences, paused; pause, resume, trigger now.
import { get, post, seg } from './api.js';
import { h, replace, table, time, memo } from './dom.js';

export function mount(main, ctx) {
  const list = h('div', { id: 'recurring' });
  const drawn = memo();
  replace(main, h('h1', { text: 'Recurring jobs' }), list);

  return async () => {
    const schedules = await get('recurring', { upcoming: 5 });
    if (drawn.same(schedules)) return;
    const rows = schedules.map((s) => {
      const name = s.name;
      const cells = [
        h('span', { 'data-schedule': name, text: name }), h('code', { text: s.cron }), s.timeZoneId, s.jobName, s.queue || 'default',
        h('span', { class: 'paused', text: s.paused ? 'paused' : 'active' }),
        time(s.nextOccurrence),
        h('ul', { class: 'plain' }, (s.upcoming || []).map((t) => h('li', { text: time(t) }))),
        time(s.lastOccurrence),
      ];
      if (ctx.readOnly) return cells;
      return [...cells, h('div', { class: 'actions' },
        s.paused
          ? h('button', { 'data-action': 'resume', text: 'Resume', onclick: () => ctx.act(() => post(`recurring/${seg(name)}/resume`), `${name} resumed.`) })
          : h('button', { 'data-action': 'pause', text: 'Pause', onclick: () => ctx.act(() => post(`recurring/${seg(name)}/pause`), `${name} paused.`) }),
        h('button', { 'data-action': 'trigger', text: 'Trigger now',
          onclick: () => ctx.act(() => post(`recurring/${seg(name)}/trigger`), (a) => `${name} triggered: job ${a.jobId}.`) }))];
    });
    const headers = ['Name', 'Cron', 'Time zone', 'Job', 'Queue', 'State', 'Next', 'Upcoming', 'Last'];
    replace(list, table(ctx.readOnly ? headers : [...headers, 'Actions'], rows, 'No recurring jobs.'));
  };
}
