// The dashboard shell: hash routes, one page mounted at a time, and live updates by polling the API while the tab is
// visible (every PollInterval from GET api/info; a hidden tab stops, and refreshes at once when shown again).
import { get } from './api.js';
import { h, replace } from './dom.js';
import * as overview from './page-overview.js';
import * as queues from './page-queues.js';
import * as jobs from './page-jobs.js';
import * as job from './page-job.js';
import * as deadletters from './page-deadletters.js';
import * as recurring from './page-recurring.js';
import * as cluster from './page-cluster.js';

const routes = [
  [/^\/?$/, 'overview', overview.mount],
  [/^\/queues$/, 'queues', queues.mount],
  [/^\/jobs$/, 'jobs', jobs.mount],
  [/^\/jobs\/(\d+)$/, 'jobs', job.mount],
  [/^\/deadletters$/, 'deadletters', deadletters.mount],
  [/^\/recurring$/, 'recurring', recurring.mount],
  [/^\/locks$/, 'locks', cluster.mountLocks],
  [/^\/nodes$/, 'nodes', cluster.mountNodes],
];

const main = document.getElementById('main');
const status = document.getElementById('status');
const message = document.getElementById('message');
let info = { readOnly: true, pollIntervalMs: 2000 };
let update = null;
let timer = null;
let generation = 0;

/** Shows a short outcome of an action (or an error) above the page. */
function say(text, isError = false) {
  message.textContent = text;
  message.className = isError ? 'message error' : 'message';
  message.hidden = false;
}

/** Runs an action, says what happened, and reads the page again at once. */
async function act(run, done) {
  try {
    const answer = await run();
    say(typeof done === 'function' ? done(answer) : done);
  } catch (e) {
    say(e.message, true);
  }
  await refresh();
}

async function refresh() {
  if (!update) return;
  const mine = generation;
  try {
    await update();
    if (mine !== generation) return;
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.className = 'status';
  } catch (e) {
    if (mine !== generation) return;
    status.textContent = `cannot read the API: ${e.message}`;
    status.className = 'status error';
  }
}

function schedule() {
  clearTimeout(timer);
  if (document.visibilityState !== 'visible') return;
  timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, info.pollIntervalMs);
}

function route() {
  generation++;
  message.hidden = true;
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const found = routes.find(([pattern]) => pattern.test(path));
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('current', !!found && a.dataset.page === found[1]);
  if (!found) {
    update = null;
    replace(main, h('h1', { text: 'Not found' }), h('p', {}, 'No dashboard page at ', h('code', { text: path }), '.'));
    return;
  }
  const [pattern, , mount] = found;
  const ctx = {
    id: path.match(pattern)[1],
    params: new URLSearchParams(query),
    readOnly: info.readOnly,
    act,
    say,
    refresh,
    navigate: (hash) => { location.hash = hash; },
  };
  replace(main);
  update = mount(main, ctx);
  refresh().then(schedule);
}

async function start() {
  try {
    info = await get('info');
  } catch (e) {
    status.textContent = `cannot read the API: ${e.message}`;
    status.className = 'status error';
  }
  document.body.classList.toggle('read-only', info.readOnly);
  document.getElementById('mode').hidden = !info.readOnly;
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') refresh().then(schedule);
    else clearTimeout(timer);
  });
  route();
}

start();
