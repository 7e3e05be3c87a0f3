// Locks held now, and the live worker processes (nodes).
import { get } from './api.js';
import { h, replace, table, time, memo } from './dom.js';

function listPage(main, title, id, read) {
  const list = h('div', { id });
  const drawn = memo();
  replace(main, h('h1', { text: title }), list);
  return async () => {
    const items = await get(id);
    if (drawn.same(items)) return;
    replace(list, read(items));
  };
}

export const mountLocks = (main) => listPage(main, 'Locks', 'locks', (locks) =>
  table(['Name', 'Owner', '#Fencing token', 'Expires'], locks.map((l) => [l.name, l.owner, l.fencingToken, time(l.expiresAt)]), 'No lock is held.'));

export const mountNodes = (main) => listPage(main, 'Nodes', 'nodes', (nodes) =>
  table(['Id', 'Host', 'Version', 'Queues', 'Job names', 'Started', 'Last heartbeat'], nodes.map((n) => [
    n.id, n.host, n.version, n.queues.join(', '), n.claimsAnyJobName ? 'any' : n.jobNames.join(', '), time(n.startedAt), time(n.lastHeartbeatAt),
  ]), 'No live node.'));
