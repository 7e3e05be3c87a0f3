// Calls to the dashboard's JSON API at {prefix}/api. Actions are POSTs with the X-TaskRunner-Action header, which the API
// requires (a cross-site form cannot send it), and same-origin credentials only.

const base = new URL('api/', document.baseURI);

/** The API's problem detail (or status) as an Error. */
async function fail(response) {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = await response.json();
    detail = problem.detail || problem.title || detail;
  } catch { /* not JSON */ }
  const error = new Error(detail);
  error.status = response.status;
  return error;
}

function url(path, params) {
  const u = new URL(path, base);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u;
}

/** GET a JSON read: get('jobs', {state: 'Running'}). */
export async function get(path, params) {
  const response = await fetch(url(path, params), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!response.ok) throw await fail(response);
  return response.json();
}

/** POST an action, with an optional JSON body. */
export async function post(path, body, params) {
  const headers = { 'X-TaskRunner-Action': '1', Accept: 'application/json' };
  const init = { method: 'POST', credentials: 'same-origin', headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, params), init);
  if (!response.ok) throw await fail(response);
  return response.status === 204 ? null : response.json();
}

/** Encodes one path segment (a schedule or queue name). */
export const seg = (value) => encodeURIComponent(String(value));
