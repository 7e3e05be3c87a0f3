// Overview: counts by state (over all queues and per queue) and the throughput chart.
import { get } from './api.js';
import { h, replace, table, link } from './dom.js';
import { drawThroughput } from './chart.js';

export const STATES = [
  ['scheduled', 'Scheduled'], ['pending', 'Pending'], ['running', 'Running'], ['succeeded', 'Succeeded'],
  ['failed', 'Failed'], ['deadLettered', 'DeadLettered'], ['cancelled', 'Cancelled'],
];

export function mount(main, ctx) {
  const cards = h('div', { class: 'cards' });
  const chart = h('div', { class: 'chart', id: 'throughput' });
  const perQueue = h('div');
  const minutes = h('select', { id: 'throughput-minutes', onchange: () => ctx.refresh() },
    [15, 60, 360, 1440].map((m) => h('option', { value: m, selected: m === 60, text: m < 60 ? `${m} min` : `${m / 60} h` })));
  replace(main,
    h('h1', { text: 'Overview' }),
    cards,
    h('h2', {}, 'Throughput ', minutes),
    chart,
    h('h2', { text: 'By queue' }),
    perQueue);

  return async () => {
    const [counts, throughput] = await Promise.all([get('counts'), get('throughput', { minutes: minutes.value })]);
    replace(cards, STATES.map(([key, state]) =>
      h('a', { class: 'card', href: `#/jobs?state=${state}` },
        h('div', { class: 'label', text: state }),
        h('div', { class: 'value', id: `count-${key}`, text: counts.all[key] }))));
    drawThroughput(chart, throughput);
    const rows = Object.entries(counts.queues).map(([name, c]) =>
      [link(`/jobs?queue=${encodeURIComponent(name)}`, name), ...STATES.map(([key]) => c[key])]);
    replace(perQueue, table(['Queue', ...STATES.map(([, s]) => `#${s}`)], rows, 'No queues.'));
  };
}
