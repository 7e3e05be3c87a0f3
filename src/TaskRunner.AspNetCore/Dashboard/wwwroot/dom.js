// Building the page from data. Every value reaches the DOM as a text node or an attribute value, never as HTML:
// no API of the dashboard parses text as HTML.

/** Creates an element. attrs: "text" sets textContent, "on<event>" adds a listener, false/null skip, others are attributes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Creates an SVG element (the throughput chart). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') el.textContent = String(value);
    else if (name.startsWith('on')) {
      // Handlers are functions only: an event attribute from text would be script written from data.
      if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
      el.addEventListener(name.slice(2), value);
    }
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: headers are strings (a leading '#' right-aligns a number column); rows are arrays of cells (values or nodes). */
export function table(headers, rows, empty = 'Nothing here.') {
  const head = h('tr', {}, headers.map((t) => h('th', { class: t.startsWith('#') ? 'num' : false, text: t.replace(/^#/, '') })));
  const body = rows.length === 0
    ? [h('tr', {}, h('td', { class: 'empty', colspan: headers.length, text: empty }))]
    : rows.map((cells) => h('tr', {}, cells.map((c, i) => h('td', { class: headers[i]?.startsWith('#') ? 'num' : false }, c))));
  return h('table', {}, h('thead', {}, head), h('tbody', {}, body));
}

/** An instant as local date and time; '—' when absent. */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** A job state as a coloured badge (the class comes from a fixed list, never from data). */
export function stateBadge(state) {
  const known = ['Scheduled', 'Pending', 'Running', 'Succeeded', 'Failed', 'DeadLettered', 'Cancelled'];
  return h('span', { class: known.includes(state) ? `state state-${state}` : 'state', text: state });
}

/** JSON as indented text (payloads, results). */
export function json(value) {
  return h('pre', { text: value === null || value === undefined ? '—' : JSON.stringify(value, null, 2) });
}

/** A link to a hash route. */
export function link(route, text, attrs = {}) {
  return h('a', { href: `#${route}`, text, ...attrs });
}

/** Remembers the last data a page drew: same() is true when nothing changed, so the page keeps its DOM (and the reader's
 *  scroll position, focus and selection) between polls. */
export function memo() {
  let last = null;
  return { same(data) { const text = JSON.stringify(data); if (text === last) return true; last = text; return false; } };
}
