// The page's frame: login (token in sessionStorage, never in the URL), the hash router, the status panel,
// the message bar that shows the daemon's errors as it words them, and the start/stop/rerun actions.
import { Rpc } from './rpc.js';
import { el, fill, errorText, timeText, durationText, bytesText, stateClass } from './util.js';
import { scriptsView, scriptView, instanceView } from './scripts.js';
import { historyView, executionView } from './history.js';

const TOKEN_KEY = 'scriptexec.token';
const $ = (id) => document.getElementById(id);

export const app = {
  rpc: new Rpc(),
  identity: null,
  // Called on every execution_changed of the page-wide subscription, so open views stay current.
  changeListeners: new Set(),
  cleanup: null,
};

/** Shows a message in the bar at the top: the daemon's error text as worded, or a confirmation. */
export function showMessage(text, kind = 'error') {
  $('message-text').textContent = text;
  $('message').className = kind;
  $('message').hidden = false;
}

export function showError(error) {
  showMessage(errorText(error), 'error');
}

/** Runs an RPC call for a button; its error goes to the message bar. Resolves with the result, or undefined. */
export async function act(method, params, done) {
  try {
    const result = await app.rpc.call(method, params);
    if (done) showMessage(done, 'info');
    return result;
  } catch (error) {
    showError(error);
    return undefined;
  }
}

/** Start / stop / force stop / rerun buttons for an instance (and its last or a given execution). */
export function controlButtons(scriptName, instanceName, execution) {
  const running = execution && (execution.state === 'running' || execution.state === 'terminating');
  const target = { script_name: scriptName, instance_name: instanceName };
  return el('span', { class: 'buttons' },
    el('button', { type: 'button', 'data-action': 'start', disabled: running, onclick: async () => {
      const result = await act('script_start', target);
      if (result) location.hash = `#/execution/${result.execution.id}`;
    } }, 'Start'),
    el('button', { type: 'button', 'data-action': 'stop', disabled: !running,
      onclick: () => act('script_stop', target, `stop sent to ${scriptName}/${instanceName} (SIGTERM)`) }, 'Stop'),
    el('button', { type: 'button', 'data-action': 'force', class: 'danger', disabled: !running,
      onclick: () => act('script_stop', { ...target, force: true }, `SIGKILL sent to ${scriptName}/${instanceName}`) }, 'Force stop'),
    execution && el('button', { type: 'button', 'data-action': 'rerun', disabled: running, onclick: async () => {
      const result = await act('script_execution_rerun', { execution_id: execution.id });
      if (result) location.hash = `#/execution/${result.execution.id}`;
    } }, 'Rerun'));
}

async function login(token) {
  $('login-error').textContent = '';
  $('login-submit').disabled = true;
  try {
    app.rpc.close();
    app.rpc = new Rpc();
    app.identity = await app.rpc.connect(token);
    sessionStorage.setItem(TOKEN_KEY, token);
    app.rpc.onclose = (event) => {
      $('connection').textContent = `disconnected (${event.code})`;
      $('connection').className = 'error';
      showMessage('The connection to the daemon closed. Reload the page to log in again.');
    };
    app.rpc.on('execution_changed', (p) => { for (const listener of app.changeListeners) listener(p.execution); });
    await app.rpc.call('execution_subscribe', { filter: { include_outdated: true } });
    $('identity').textContent = `${app.identity.user} (${app.identity.role})`;
    $('connection').textContent = 'connected';
    $('connection').className = 'ok';
    $('login').hidden = true;
    $('app').hidden = false;
    route();
  } catch (error) {
    app.rpc.close();
    sessionStorage.removeItem(TOKEN_KEY);
    $('login').hidden = false;
    $('app').hidden = true;
    $('login-error').textContent = `Login failed: ${errorText(error)}`;
  } finally {
    $('login-submit').disabled = false;
  }
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  app.rpc.close();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-token').value = '';
}

const routes = [
  [/^#\/status$/, 'status', (m, main) => statusView(main)],
  [/^#\/scripts$/, 'scripts', (m, main) => scriptsView(m, main)],
  [/^#\/scripts\/new$/, 'scripts', (m, main) => scriptView(null, main)],
  [/^#\/script\/([^/]+)$/, 'scripts', (m, main) => scriptView(decodeURIComponent(m[1]), main)],
  [/^#\/instance\/([^/]+)\/new$/, 'scripts', (m, main) => instanceView(decodeURIComponent(m[1]), null, main)],
  [/^#\/instance\/([^/]+)\/([^/]+)$/, 'scripts', (m, main) => instanceView(decodeURIComponent(m[1]), decodeURIComponent(m[2]), main)],
  [/^#\/history(\?.*)?$/, 'history', (m, main) => historyView(new URLSearchParams((m[1] || '').slice(1)), main)],
  [/^#\/execution\/(\d+)$/, 'history', (m, main) => executionView(Number(m[1]), main)],
];

/** Shows the view the address names; each view returns a cleanup (unsubscribe, timers) run when leaving it. */
function route() {
  if (!app.rpc.open) return;
  if (app.cleanup) app.cleanup();
  app.cleanup = null;
  app.changeListeners.clear();
  const hash = location.hash || '#/status';
  for (const [pattern, nav, view] of routes) {
    const match = hash.match(pattern);
    if (match) {
      for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.view === nav);
      const main = fill($('view'));
      main.dataset.view = nav;
      Promise.resolve(view(match, main)).then((cleanup) => { app.cleanup = cleanup || null; }, showError);
      return;
    }
  }
  location.hash = '#/status';
}

function row(label, value) {
  return el('tr', {}, el('th', {}, label), el('td', {}, value));
}

/** Counts, running executions, store health, confinement, output budget, limits: `status`, refreshed every 5 s. */
async function statusView(main) {
  const panel = el('div', { id: 'status-panel', class: 'cards' });
  fill(main, el('h2', {}, 'Status'), panel);
  const render = async () => {
    const s = await app.rpc.call('status');
    const e = s.executions;
    const store = s.store;
    fill(panel,
      el('section', { class: 'card', id: 'status-daemon' }, el('h3', {}, 'Daemon'), el('table', {},
        row('version', s.version), row('pid', s.pid), row('started', timeText(s.started_timestamp)),
        row('uptime', durationText(s.uptime_s * 1000)), row('clients', `${s.clients.unix} unix, ${s.clients.websocket} websocket`))),
      el('section', { class: 'card', id: 'status-health' }, el('h3', {}, 'Health'), el('table', {},
        row('store', el('span', { class: store.writable ? 'ok' : 'error' },
          store.writable ? 'writable' : `refusing writes (${store.last_error || 'unknown'}) since ${timeText(store.since_timestamp)}`)),
        row('store size', `${bytesText(store.size_bytes)} (${store.path})`),
        row('refused writes', store.refused_writes), row('lost output lines', store.lost_output_lines),
        row('pending end records', store.pending_end_records), row('reserve held', store.reserve_held ? 'yes' : 'no'),
        row('unloadable rows', (store.unloadable_rows || []).length ? store.unloadable_rows.map((r) => `${r.kind} ${r.key}: ${r.reason}`).join('; ') : 'none'))),
      el('section', { class: 'card', id: 'status-counts' }, el('h3', {}, 'Executions'), el('table', {},
        row('total', e.total), row('running', e.running), row('terminating', e.terminating),
        row('finished', `${e.finished} (exit 0: ${e.finished_exit_zero}, non-zero: ${e.finished_exit_non_zero})`),
        row('killed', e.killed),
        row('durations', s.durations.count ? `avg ${durationText(Math.round(s.durations.avg_ms))}, min ${durationText(s.durations.min_ms)}, max ${durationText(s.durations.max_ms)}` : 'none finished'),
        row('triggers', `xpath ${s.triggers.xpath_fired}, schedule ${s.triggers.schedule_fired} (skipped ${s.triggers.schedule_skipped})`))),
      el('section', { class: 'card', id: 'status-confinement' }, el('h3', {}, 'Confinement and budget'), el('table', {},
        row('rlimits', s.confinement ? (s.confinement.rlimits ? 'prlimit and nice found' : 'not available') : ''),
        row('cgroup', s.confinement ? `${s.confinement.cgroup}${(s.confinement.controllers || []).length ? ` (${s.confinement.controllers.join(', ')})` : ''}` : ''),
        row('output budget', s.budget ? (s.budget.enabled ? `${bytesText(s.budget.bytes_per_s)}/s, ${s.budget.lines_per_s} lines/s` : 'off') : ''),
        row('budget left now', s.budget && s.budget.enabled ? `${bytesText(s.budget.available_bytes)}, ${s.budget.available_lines} lines` : ''),
        row('dropped lines', s.budget ? s.budget.dropped_lines : ''),
        row('limits', `${s.limits.max_concurrent_executions} concurrent, ${bytesText(s.limits.output_max_bytes_per_execution)} output per run`),
        row('retention', `${s.retention.max_executions ?? 'no'} max runs, ${s.retention.max_output_bytes ? bytesText(s.retention.max_output_bytes) : 'no'} max output, pruned ${s.retention.pruned_executions}`))),
      el('section', { class: 'card wide', id: 'status-running' }, el('h3', {}, `Running (${s.running.length})`),
        s.running.length === 0 ? el('p', {}, 'Nothing is running.') : el('table', { class: 'grid' },
          el('thead', {}, el('tr', {}, ['ID', 'Script', 'Instance', 'State', 'PID', 'Started', ''].map((h) => el('th', {}, h)))),
          el('tbody', {}, s.running.map((r) => el('tr', {},
            el('td', { class: 'num' }, el('a', { href: `#/execution/${r.id}` }, r.id)), el('td', {}, r.script_name), el('td', {}, r.instance_name),
            el('td', { class: stateClass(r) }, r.state), el('td', { class: 'num' }, r.pid), el('td', {}, timeText(r.start_timestamp)),
            el('td', {}, controlButtons(r.script_name, r.instance_name, r))))))));
  };
  await render();
  const timer = setInterval(() => render().catch(showError), 5000);
  let queued = false;
  app.changeListeners.add(() => {
    if (queued) return;
    queued = true;
    setTimeout(() => { queued = false; render().catch(showError); }, 300);
  });
  return () => clearInterval(timer);
}


function start() {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    login($('login-token').value.trim());
  });
  $('logout').addEventListener('click', logout);
  $('message-close').addEventListener('click', () => { $('message').hidden = true; });
  window.addEventListener('hashchange', () => { $('message').hidden = true; route(); });
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) login(token);
  else $('login').hidden = false;
}

start();
