// The history (script_execution_get with every filter, keyset paging both ways) and one execution's output with
// live follow (execution_subscribe with output) and stdout/stderr colouring.
import { app, act, controlButtons, showError } from './app.js';
import { el, fill, timeText, exitText, exitTitle, stateClass, triggerText, elapsedText } from './util.js';

const STATES = ['running', 'terminating', 'finished', 'killed'];
const TRIGGERS = ['manual', 'xpath', 'scheduler', 'restart', 'system'];
const COLUMNS = ['ID', 'Script', 'Instance', 'State', 'Exit', 'Started', 'Duration', 'Start trigger', 'Stop trigger', 'Version', 'Actions'];

/** Unix seconds from a datetime-local value (local time), or undefined. */
function seconds(input) {
  return input.value ? Math.floor(new Date(input.value).getTime() / 1000) : undefined;
}

function localInput(unix) {
  if (!unix) return '';
  const d = new Date(unix * 1000 - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function checkboxes(name, values, checked) {
  return el('span', { class: 'checks', id: `filter-${name}` }, values.map((v) =>
    el('label', { class: 'check' }, el('input', { type: 'checkbox', value: v, checked: checked.includes(v) }), v)));
}

const checkedValues = (box) => [...box.querySelectorAll('input:checked')].map((i) => i.value);

/** The query as the address keeps it (#/history?state=killed&instance=a/b...), so a filtered page can be linked. */
export async function historyView(query, main) {
  const options = await app.rpc.call('script_execution_filter_options_get', { include_outdated: true });
  const instanceChoices = options.instances.flatMap((s) => [`${s.script_name}/*`, ...s.instance_names.map((n) => `${s.script_name}/${n}`)]);
  const f = {
    instances: el('select', { id: 'filter-instances', multiple: true, size: 4 }, instanceChoices.map((v) =>
      el('option', { value: v, selected: query.getAll('instance').includes(v) }, v.endsWith('/*') ? `${v.slice(0, -2)} (all instances)` : v))),
    states: checkboxes('states', STATES, query.getAll('state')),
    triggers: checkboxes('trigger-types', TRIGGERS, query.getAll('trigger')),
    exitCodes: el('input', { id: 'filter-exit-codes', value: query.get('exit') || '', placeholder: 'e.g. 0, 1, -9', size: 10 }),
    usernames: el('select', { id: 'filter-usernames', multiple: true, size: 3 }, options.usernames.map((u) =>
      el('option', { value: u, selected: query.getAll('user').includes(u) }, u))),
    after: el('input', { id: 'filter-start-after', type: 'datetime-local', value: localInput(Number(query.get('after'))) }),
    before: el('input', { id: 'filter-start-before', type: 'datetime-local', value: localInput(Number(query.get('before'))) }),
    outdated: el('input', { id: 'filter-outdated', type: 'checkbox', checked: query.get('outdated') === '1' }),
    size: el('select', { id: 'page-size' }, [10, 20, 50, 100].map((n) => el('option', { value: n, selected: Number(query.get('size') || 20) === n }, n))),
  };
  const toQuery = () => {
    const q = new URLSearchParams();
    for (const o of f.instances.selectedOptions) q.append('instance', o.value);
    for (const v of checkedValues(f.states)) q.append('state', v);
    for (const v of checkedValues(f.triggers)) q.append('trigger', v);
    if (f.exitCodes.value.trim()) q.set('exit', f.exitCodes.value.trim());
    for (const o of f.usernames.selectedOptions) q.append('user', o.value);
    if (seconds(f.after) !== undefined) q.set('after', seconds(f.after));
    if (seconds(f.before) !== undefined) q.set('before', seconds(f.before));
    if (f.outdated.checked) q.set('outdated', '1');
    q.set('size', f.size.value);
    return q;
  };
  const filter = buildFilter(query);
  const size = Number(query.get('size') || 20);

  const table = el('table', { class: 'grid', id: 'history' },
    el('thead', {}, el('tr', {}, COLUMNS.map((h) => el('th', { class: ['ID', 'Exit', 'Duration'].includes(h) ? 'num' : '' }, h)))),
    el('tbody', {}));
  const pageInfo = el('span', { id: 'page-info', class: 'muted' });
  const newest = el('button', { type: 'button', id: 'page-newest' }, '⇤ Newest');
  const newer = el('button', { type: 'button', id: 'page-newer' }, '← Newer');
  const older = el('button', { type: 'button', id: 'page-older' }, 'Older →');
  let shown = [];

  // Keyset paging: the daemon always answers newest first; a negative limit walks to older ids, a positive one to newer.
  const load = async (pagination) => {
    let result;
    try {
      result = await app.rpc.call('script_execution_get', { filter, pagination });
    } catch (error) {
      showError(error);
      return;
    }
    if (pagination.limit > 0 && result.executions.length < size) {
      // Fewer newer runs than a page: show the newest page instead of a short one.
      return load({ limit: -size });
    }
    shown = result.executions;
    const atNewest = pagination.id_exclusive === undefined && pagination.limit < 0;
    newer.disabled = atNewest;
    newest.disabled = atNewest;
    older.disabled = shown.length < size;
    pageInfo.textContent = shown.length ? `#${shown[0].id} … #${shown[shown.length - 1].id} (${shown.length})` : 'no executions match';
    fill(table.tBodies[0], shown.map(historyRow));
  };
  newest.addEventListener('click', () => load({ limit: -size }));
  older.addEventListener('click', () => load({ limit: -size, id_exclusive: shown[shown.length - 1].id }));
  newer.addEventListener('click', () => load({ limit: size, id_exclusive: shown[0].id }));

  fill(main,
    el('h2', {}, 'History'),
    el('form', { id: 'history-filter', class: 'filters', onsubmit: (event) => { event.preventDefault(); location.hash = `#/history?${toQuery()}`; } },
      el('label', {}, 'Instances', f.instances),
      el('div', {}, el('div', {}, 'States ', f.states), el('div', {}, 'Start trigger ', f.triggers),
        el('label', { class: 'check' }, f.outdated, 'include outdated (older source versions)')),
      el('div', {}, el('label', {}, 'Exit codes ', f.exitCodes), el('label', {}, 'Started from ', f.after), el('label', {}, 'before ', f.before)),
      el('label', {}, 'Started by', f.usernames),
      el('div', { class: 'buttons' }, el('label', {}, 'Page size ', f.size), el('button', { id: 'filter-apply' }, 'Apply'),
        el('a', { href: '#/history?size=20', class: 'button' }, 'Clear'))),
    el('div', { class: 'pager' }, newest, newer, older, pageInfo),
    el('div', { class: 'table-frame' }, table));
  await load({ limit: -size });

  // Live: rows on screen follow their executions' changes; new runs show up on the newest page.
  app.changeListeners.add((execution) => {
    const index = shown.findIndex((e) => e.id === execution.id);
    if (index >= 0) {
      shown[index] = execution;
      table.tBodies[0].children[index].replaceWith(historyRow(execution));
    } else if (newest.disabled && execution.id > (shown[0]?.id ?? 0)) {
      load({ limit: -size });
    }
  });
  return null;
}

function buildFilter(query) {
  const filter = {};
  const instances = new Map();
  for (const v of query.getAll('instance')) {
    const slash = v.indexOf('/');
    const script = v.slice(0, slash);
    const instance = v.slice(slash + 1);
    if (!instances.has(script)) instances.set(script, new Set());
    if (instance === '*') instances.set(script, null);
    else if (instances.get(script)) instances.get(script).add(instance);
  }
  if (instances.size) {
    filter.instances = [...instances].map(([script, names]) => (names ? { script_name: script, instance_names: [...names] } : { script_name: script }));
  }
  if (query.getAll('state').length) filter.states = query.getAll('state');
  if (query.getAll('trigger').length) filter.trigger_types = query.getAll('trigger');
  if (query.getAll('user').length) filter.usernames = query.getAll('user');
  if (query.get('exit')) filter.exit_codes = query.get('exit').split(/[\s,]+/).filter(Boolean).map(Number);
  if (query.get('after')) filter.start_after = Number(query.get('after'));
  if (query.get('before')) filter.start_before = Number(query.get('before'));
  if (query.get('outdated') === '1') filter.include_outdated = true;
  return filter;
}

function historyRow(e) {
  return el('tr', { 'data-id': e.id, class: e.is_outdated ? 'outdated' : '' },
    el('td', { class: 'num' }, el('a', { href: `#/execution/${e.id}` }, e.id)),
    el('td', {}, e.script_name),
    el('td', {}, e.instance_name),
    el('td', { class: stateClass(e) }, e.state),
    el('td', { class: 'num', title: exitTitle(e) }, exitText(e)),
    el('td', { class: 'nowrap' }, timeText(e.start_timestamp)),
    el('td', { class: 'num nowrap' }, elapsedText(e)),
    el('td', { class: 'trigger' }, triggerText(e.start_trigger)),
    el('td', { class: 'trigger' }, triggerText(e.stop_trigger)),
    el('td', { class: 'version', title: e.is_outdated ? 'outdated: the source changed since' : '' }, e.script_version.slice(0, 8), e.is_outdated ? ' (old)' : ''),
    el('td', { class: 'nowrap' }, el('a', { href: `#/execution/${e.id}`, class: 'small' }, 'output'), ' ',
      el('button', { type: 'button', class: 'small', 'data-action': 'rerun', onclick: async () => {
        const result = await act('script_execution_rerun', { execution_id: e.id });
        if (result) location.hash = `#/execution/${result.execution.id}`;
      } }, 'rerun')));
}

/** One execution: its record, controls, and output, followed live while it runs. */
export async function executionView(id, main) {
  const header = el('div', { id: 'execution-header' });
  const output = el('pre', { id: 'output', class: 'output' });
  const follow = el('input', { type: 'checkbox', id: 'follow', checked: true });
  const streams = el('select', { id: 'output-streams' }, ['both', 'stdout', 'stderr'].map((s) => el('option', { value: s }, s)));
  const status = el('span', { id: 'follow-status', class: 'muted' });
  let lastLine = 0;
  let execution = null;
  let subscription = null;
  let unsubscribed = false;
  let offOutput = () => {};

  const renderHeader = () => {
    const e = execution;
    fill(header,
      el('div', { class: 'toolbar' }, el('h2', {}, `Execution #${e.id}`),
        el('a', { href: `#/instance/${encodeURIComponent(e.script_name)}/${encodeURIComponent(e.instance_name)}` }, `${e.script_name}/${e.instance_name}`),
        controlButtons(e.script_name, e.instance_name, e)),
      el('dl', { class: 'facts' },
        el('dt', {}, 'State'), el('dd', { class: stateClass(e), id: 'execution-state' }, e.state),
        el('dt', {}, 'Exit'), el('dd', { id: 'execution-exit', title: exitTitle(e) }, exitText(e) || '—', exitTitle(e) ? ` (${exitTitle(e)})` : ''),
        el('dt', {}, 'Started'), el('dd', {}, timeText(e.start_timestamp)),
        el('dt', {}, 'Duration'), el('dd', {}, elapsedText(e) || '—'),
        el('dt', {}, 'Start trigger'), el('dd', {}, triggerText(e.start_trigger)),
        el('dt', {}, 'Stop trigger'), el('dd', {}, triggerText(e.stop_trigger) || '—'),
        el('dt', {}, 'Arguments'), el('dd', {}, e.arguments ?? '—'),
        el('dt', {}, 'Version'), el('dd', {}, e.script_version, e.is_outdated ? ' (outdated)' : ''),
        e.pid !== undefined ? [el('dt', {}, 'PID'), el('dd', {}, e.pid)] : null,
        e.output_truncated ? [el('dt', {}, 'Output'), el('dd', { class: 'error' }, 'truncated: the per-run cap was reached or the store refused lines')] : null,
        e.output_dropped_lines ? [el('dt', {}, 'Dropped'), el('dd', { class: 'error' }, `${e.output_dropped_lines} lines dropped by the output budget`)] : null));
  };

  const appendLines = (lines) => {
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      if (line.id <= lastLine) continue;
      lastLine = line.id;
      fragment.append(el('span', { class: `line ${line.stream}`, 'data-line': line.id, title: new Date(line.timestamp_ms).toISOString() }, line.content, '\n'));
    }
    output.append(fragment);
    if (follow.checked && atBottom) output.scrollTop = output.scrollHeight;
  };

  // Reads what is stored after the last line shown, page by page (1000 lines a call).
  const catchUp = async () => {
    for (;;) {
      const page = await app.rpc.call('script_execution_output_get', { filter: { execution_id: id }, pagination: { limit: 1000, id_exclusive: lastLine } });
      execution = page.execution;
      appendLines(page.lines);
      if (page.lines.length < 1000) return;
    }
  };

  const stopFollowing = async () => {
    if (subscription === null || unsubscribed) return;
    unsubscribed = true;
    await app.rpc.call('execution_unsubscribe', { subscription_id: subscription }).catch(() => {});
  };

  const first = await app.rpc.call('script_execution_output_get', { filter: { execution_id: id }, pagination: { limit: 1, id_exclusive: 0 } });
  execution = first.execution;
  renderHeader();
  streams.addEventListener('change', () => { output.dataset.streams = streams.value; });
  fill(main, header,
    el('div', { class: 'pager' }, el('label', { class: 'check' }, follow, 'follow live output'), el('label', {}, 'Streams ', streams), status,
      el('span', { class: 'legend' }, el('span', { class: 'stdout' }, 'stdout'), ' ', el('span', { class: 'stderr' }, 'stderr'))),
    output);

  const live = execution.state === 'running' || execution.state === 'terminating';
  if (live) {
    // Subscribe first, then read what is stored: a line captured in between comes by one way or the other
    // (lines are numbered, so none shows twice); a gap in the notifications is read from the store.
    offOutput = app.rpc.on('execution_output', (p) => {
      if (p.subscription_id !== subscription || p.execution_id !== id || !follow.checked) return;
      if (p.lines.length && p.lines[0].id > lastLine + 1) catchUp().catch(showError);
      else appendLines(p.lines);
    });
    const result = await app.rpc.call('execution_subscribe', {
      filter: { instances: [{ script_name: execution.script_name, instance_names: [execution.instance_name] }], include_outdated: true }, output: true });
    subscription = result.subscription_id;
    status.textContent = 'following';
  }
  await catchUp();
  renderHeader();
  follow.addEventListener('change', () => { if (follow.checked) catchUp().catch(showError); });

  app.changeListeners.add(async (changed) => {
    if (changed.id !== id) return;
    execution = changed;
    renderHeader();
    if (changed.state === 'finished' || changed.state === 'killed') {
      await catchUp().catch(showError);
      status.textContent = `ended: ${changed.state}${changed.exit_code !== undefined ? `, ${exitText(changed)}` : ''}`;
      await stopFollowing();
    }
  });
  if (!live) status.textContent = `ended: ${execution.state}`;
  return () => {
    offOutput();
    stopFollowing();
  };
}
