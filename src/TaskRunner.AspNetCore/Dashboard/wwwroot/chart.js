// The overview's throughput chart: inline SVG drawn from GET /throughput, stacked bars per bucket (succeeded, failed).
import { svg, h, replace } from './dom.js';

const W = 720, H = 200, PAD_L = 36, PAD_B = 20, PAD_T = 8;

export function drawThroughput(container, data) {
  const buckets = data.buckets || [];
  const max = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
  const plotW = W - PAD_L - 4, plotH = H - PAD_B - PAD_T;
  const step = buckets.length ? plotW / buckets.length : plotW;
  const y = (v) => PAD_T + plotH - (v / max) * plotH;
  const bars = [];
  buckets.forEach((b, i) => {
    const x = PAD_L + i * step + 1, w = Math.max(1, step - 2);
    const label = `${new Date(b.start).toLocaleTimeString()}: ${b.succeeded} succeeded, ${b.failed} failed`;
    bars.push(svg('g', { 'data-start': b.start },
      svg('title', { text: label }),
      svg('rect', { class: 'succeeded', x, y: y(b.succeeded), width: w, height: plotH + PAD_T - y(b.succeeded) }),
      svg('rect', { class: 'failed', x, y: y(b.succeeded + b.failed), width: w, height: y(b.succeeded) - y(b.succeeded + b.failed) })));
  });
  const first = buckets[0], last = buckets[buckets.length - 1];
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Finished jobs per time bucket' },
    svg('line', { class: 'axis', x1: PAD_L, y1: PAD_T + plotH, x2: W, y2: PAD_T + plotH }),
    svg('text', { x: 2, y: PAD_T + 8, text: String(max) }),
    svg('text', { x: 2, y: PAD_T + plotH, text: '0' }),
    first && svg('text', { x: PAD_L, y: H - 4, text: new Date(first.start).toLocaleTimeString() }),
    last && svg('text', { x: W - 4, y: H - 4, 'text-anchor': 'end', text: 'now' }),
    bars);
  const total = buckets.reduce((a, b) => ({ s: a.s + b.succeeded, f: a.f + b.failed }), { s: 0, f: 0 });
  replace(container, chart,
    h('div', { class: 'legend' },
      h('span', {}, h('span', { class: 'swatch succeeded' }), `succeeded (${total.s})`),
      h('span', {}, h('span', { class: 'swatch failed' }), `failed (${total.f})`),
      h('span', { text: `one bar per ${Math.round(data.bucketSeconds / 60)} min` })));
}
