// Scripts and instances: the list (script_overview_get) with start/stop/force/rerun and enable/disable, the script
// editor (source with its version), and the instance editor (every script_instance_set field).
import { app, act, controlButtons, showError, showMessage } from './app.js';
import { el, fill, timeText, exitText, exitTitle, stateClass, triggerText, elapsedText, bytesText } from './util.js';

const enc = encodeURIComponent;
const SECRET_MASK = '********';
const LIMITS = ['cpu_s', 'address_space_mb', 'data_mb', 'file_size_mb', 'open_files', 'processes', 'stack_mb', 'nice', 'memory_mb', 'pids', 'cpu_percent'];

/** Every script with its instances, each instance's last run and its controls. */
export async function scriptsView(match, main) {
  const body = el('div', { id: 'scripts' });
  fill(main, el('div', { class: 'toolbar' }, el('h2', {}, 'Scripts'), el('a', { class: 'button', href: '#/scripts/new', id: 'new-script' }, 'New script')), body);
  const render = async () => {
    const { scripts } = await app.rpc.call('script_overview_get');
    if (scripts.length === 0) {
      fill(body, el('p', {}, 'No scripts yet. Create one with "New script".'));
      return;
    }
    fill(body, el('table', { class: 'grid', id: 'instances' },
      el('thead', {}, el('tr', {}, ['Script', 'Instance', 'Start trigger', 'Enabled', 'Last run', 'State', 'Exit', 'Duration', 'Workdir', 'Actions'].map((h) => el('th', {}, h)))),
      el('tbody', {}, scripts.flatMap((s) => [
        el('tr', { class: 'script-row' },
          el('td', { colspan: 10 },
            el('a', { href: `#/script/${enc(s.name)}`, class: 'script-name' }, s.name),
            el('span', { class: 'muted' }, ` version ${s.version}`, s.description ? ` — ${s.description}` : ''),
            ' ', el('a', { href: `#/instance/${enc(s.name)}/new`, class: 'small' }, '+ instance'))),
        ...s.instances.map((i) => instanceRow(s.name, i)),
      ]))));
  };
  await render();
  app.changeListeners.add(debounce(() => render().catch(showError)));
  return null;
}

function instanceRow(scriptName, i) {
  const last = i.last_execution;
  return el('tr', { 'data-instance': `${scriptName}/${i.name}` },
    el('td', {}, ''),
    el('td', {}, el('a', { href: `#/instance/${enc(scriptName)}/${enc(i.name)}` }, i.name)),
    el('td', {}, triggerText(i.start_trigger), i.stop_trigger ? el('div', { class: 'muted' }, `stop: ${triggerText(i.stop_trigger)}`) : null,
      i.next_start_timestamp ? el('div', { class: 'muted' }, `restart at ${timeText(i.next_start_timestamp)}`) : null,
      i.restart_gave_up ? el('div', { class: 'error' }, 'restart gave up') : null),
    el('td', {}, el('input', { type: 'checkbox', checked: i.enabled, 'aria-label': 'enabled', onchange: async (event) => {
      const done = await act('script_instance_enabled_set', { script_name: scriptName, instance_name: i.name, enabled: event.target.checked });
      if (!done) event.target.checked = !event.target.checked;
    } })),
    el('td', {}, last ? el('a', { href: `#/execution/${last.id}` }, `#${last.id} ${timeText(last.start_timestamp)}`) : 'never'),
    el('td', { class: last ? stateClass(last) : '' }, last ? last.state : ''),
    el('td', { class: 'num', title: last ? exitTitle(last) : '' }, last ? exitText(last) : ''),
    el('td', { class: 'num' }, last ? elapsedText(last) : ''),
    el('td', { class: 'num' }, bytesText(i.workdir_bytes)),
    el('td', {}, controlButtons(scriptName, i.name, last)));
}

function debounce(fn) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, 300);
  };
}

/** The script editor: name (new only), description, source; shows the stored version and warns of a concurrent edit. */
export async function scriptView(name, main) {
  const loaded = name ? await app.rpc.call('script_get', { name }) : null;
  const overview = name ? (await app.rpc.call('script_overview_get')).scripts.find((s) => s.name === name) : null;
  const nameInput = el('input', { id: 'script-name', required: true, pattern: '[\\-a-zA-Z0-9._]{1,100}', value: name || '', readonly: !!name });
  const description = el('input', { id: 'script-description', value: loaded?.description || '' });
  const source = el('textarea', { id: 'script-source', rows: 18, spellcheck: 'false', value: loaded?.source || '#!/bin/sh\n' });
  const version = el('span', { id: 'script-version' }, loaded ? loaded.version : 'new');
  let loadedVersion = loaded?.version;
  const save = async (event) => {
    event.preventDefault();
    const target = nameInput.value.trim();
    if (loadedVersion) {
      // script_set has no precondition: check the version we edited is still the stored one.
      const current = await act('script_get', { name: target });
      if (current && current.version !== loadedVersion
        && !confirm(`The script changed since you opened it (version ${loadedVersion} is now ${current.version}). Save yours over it?`)) return;
    }
    const result = await act('script_set', { name: target, source: source.value, description: description.value }, null);
    if (!result) return;
    loadedVersion = result.version;
    version.textContent = result.version;
    showMessage(`Saved ${result.name}: version ${result.version}`, 'info');
    if (!name) location.hash = `#/script/${enc(target)}`;
  };
  const remove = async () => {
    if (!confirm(`Delete script ${name}, its instances and their secrets? Its runs stay in the history.`)) return;
    if (await act('script_delete', { name }, `Deleted ${name}`)) location.hash = '#/scripts';
  };
  fill(main,
    el('div', { class: 'toolbar' }, el('h2', {}, name ? `Script ${name}` : 'New script'), el('a', { href: '#/scripts' }, 'back to scripts')),
    el('form', { id: 'script-form', class: 'editor', onsubmit: save },
      el('label', {}, 'Name', nameInput),
      el('label', {}, 'Description', description),
      el('div', { class: 'muted' }, 'Version ', version, loaded ? ` · updated ${timeText(loaded.updated_timestamp)}` : '',
        ' · no #! line: run with /bin/sh'),
      el('label', { class: 'full' }, 'Source', source),
      el('div', { class: 'buttons' }, el('button', { id: 'script-save' }, 'Save'),
        name ? el('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete script') : null)),
    overview ? el('section', {}, el('h3', {}, 'Instances'),
      el('ul', {}, overview.instances.map((i) => el('li', {}, el('a', { href: `#/instance/${enc(name)}/${enc(i.name)}` }, i.name), ' ', controlButtons(name, i.name, i.last_execution)))),
      el('a', { class: 'button', href: `#/instance/${enc(name)}/new`, id: 'new-instance' }, 'New instance')) : null);
  return null;
}

function field(label, input, hint) {
  return el('label', {}, label, input, hint ? el('small', { class: 'muted' }, hint) : null);
}

function numberOrUndefined(input) {
  const text = input.value.trim();
  return text === '' ? undefined : Number(text);
}

function triggerEditor(prefix, trigger, types, placeholder) {
  const type = el('select', { id: `${prefix}-type` }, types.map((t) => el('option', { value: t, selected: (trigger?.type || types[0]) === t }, t)));
  const setting = el('input', { id: `${prefix}-setting`, value: trigger?.setting || '', placeholder });
  const sync = () => { setting.disabled = type.value === 'manual' || type.value === 'none'; };
  type.addEventListener('change', sync);
  sync();
  return { type, setting, read: () => (type.value === 'none' ? undefined
    : type.value === 'manual' ? { type: 'manual' } : { type: type.value, setting: setting.value }) };
}

function envRow(name, value) {
  const secret = value === SECRET_MASK;
  return el('tr', { class: 'env-row' },
    el('td', {}, el('input', { class: 'env-name', value: name, 'aria-label': 'name' })),
    el('td', {}, el('input', { class: 'env-value', value, type: secret ? 'password' : 'text', 'aria-label': 'value' })),
    el('td', {}, el('input', { class: 'env-secret', type: 'checkbox', checked: secret, 'aria-label': 'secret' })),
    el('td', {}, el('button', { type: 'button', onclick: (event) => event.target.closest('tr').remove() }, 'remove')));
}

/** The instance editor: every field of script_instance_set, loaded with script_instance_get, saved whole. */
export async function instanceView(scriptName, instanceName, main) {
  main = main || document.getElementById('view');
  const i = instanceName ? await app.rpc.call('script_instance_get', { script_name: scriptName, instance_name: instanceName }) : {};
  const input = (id, value, attrs = {}) => el('input', { id, value: value ?? '', ...attrs });
  const f = {
    name: input('instance-name', instanceName, { required: true, readonly: !!instanceName, pattern: '[\\-a-zA-Z0-9._]{1,100}' }),
    arguments: input('instance-arguments', i.arguments),
    workingDir: input('instance-working-dir', i.working_dir, { placeholder: 'the instance workdir' }),
    user: input('instance-user', i.user, { placeholder: "the daemon's user" }),
    timeout: input('instance-timeout', i.timeout_s, { type: 'number', min: 1, placeholder: 'none' }),
    grace: input('instance-grace', i.stop_grace_s ?? 10, { type: 'number', min: 0, max: 3600 }),
    role: el('select', { id: 'instance-role' }, ['viewer', 'operator', 'admin'].map((r) => el('option', { value: r, selected: (i.role || 'operator') === r }, r))),
    overlap: el('select', { id: 'instance-overlap' }, ['skip', 'queue'].map((o) => el('option', { value: o, selected: (i.overlap || 'skip') === o }, o))),
    catchUp: el('input', { id: 'instance-catch-up', type: 'checkbox', checked: i.catch_up }),
    enabled: el('input', { id: 'instance-enabled', type: 'checkbox', checked: i.enabled ?? true }),
    restartOn: el('select', { id: 'instance-restart-on' }, ['never', 'failure', 'always'].map((o) => el('option', { value: o, selected: (i.restart?.on || 'never') === o }, o))),
  };
  const restart = Object.fromEntries(['delay_s', 'max_delay_s', 'max_restarts', 'window_s'].map((k) =>
    [k, input(`instance-restart-${k}`, i.restart?.[k], { type: 'number', min: 0, placeholder: 'default' })]));
  const limits = Object.fromEntries(LIMITS.map((k) => {
    const value = i.limits && k in i.limits ? (i.limits[k] === null ? 'unlimited' : i.limits[k]) : '';
    return [k, input(`instance-limit-${k}`, value, { placeholder: 'default' })];
  }));
  const start = triggerEditor('instance-start', i.start_trigger, ['manual', 'xpath', 'scheduler'], "xpath: /a/b = 'up'; scheduler: cron or @reboot");
  const stop = triggerEditor('instance-stop', i.stop_trigger, ['none', 'manual', 'xpath'], "xpath: a path or condition");
  const envBody = el('tbody', {}, Object.entries(i.env || {}).map(([k, v]) => envRow(k, v)));

  const read = () => {
    const params = { script_name: scriptName, instance_name: f.name.value.trim(), start_trigger: start.read() };
    const stopTrigger = stop.read();
    if (stopTrigger) params.stop_trigger = stopTrigger;
    if (f.arguments.value !== '') params.arguments = f.arguments.value;
    if (f.workingDir.value.trim()) params.working_dir = f.workingDir.value.trim();
    if (f.user.value.trim()) params.user = f.user.value.trim();
    if (numberOrUndefined(f.timeout) !== undefined) params.timeout_s = numberOrUndefined(f.timeout);
    if (numberOrUndefined(f.grace) !== undefined) params.stop_grace_s = numberOrUndefined(f.grace);
    params.role = f.role.value;
    params.overlap = f.overlap.value;
    params.catch_up = f.catchUp.checked;
    params.enabled = f.enabled.checked;
    if (f.restartOn.value !== 'never') {
      params.restart = { on: f.restartOn.value };
      for (const [k, box] of Object.entries(restart)) if (numberOrUndefined(box) !== undefined) params.restart[k] = numberOrUndefined(box);
    }
    params.limits = {};
    for (const [k, box] of Object.entries(limits)) {
      const text = box.value.trim();
      // Left empty: the daemon's default; "unlimited": null; anything else is sent as written (the daemon checks it).
      if (text === 'unlimited') params.limits[k] = null;
      else if (text !== '') params.limits[k] = /^-?\d+$/.test(text) ? Number(text) : text;
    }
    params.env = {};
    for (const tr of envBody.querySelectorAll('tr')) {
      const name = tr.querySelector('.env-name').value.trim();
      if (!name) continue;
      const value = tr.querySelector('.env-value').value;
      params.env[name] = tr.querySelector('.env-secret').checked ? { value, secret: true } : value;
    }
    return params;
  };
  const save = async (event) => {
    event.preventDefault();
    const params = read();
    const result = await act('script_instance_set', params, null);
    if (!result) return;
    showMessage(`Saved ${result.script_name}/${result.instance_name}`, 'info');
    if (!instanceName) location.hash = `#/instance/${enc(scriptName)}/${enc(result.instance_name)}`;
  };
  const remove = async () => {
    if (!confirm(`Delete instance ${scriptName}/${instanceName} and its secrets? Its runs stay in the history.`)) return;
    if (await act('script_instance_delete', { script_name: scriptName, instance_name: instanceName }, 'Deleted')) location.hash = '#/scripts';
  };
  const last = instanceName ? (await app.rpc.call('script_execution_get', {
    filter: { instances: [{ script_name: scriptName, instance_names: [instanceName] }], include_outdated: true }, pagination: { limit: -1 } })).executions[0] : undefined;

  fill(main,
    el('div', { class: 'toolbar' },
      el('h2', {}, instanceName ? `Instance ${scriptName}/${instanceName}` : `New instance of ${scriptName}`),
      el('a', { href: `#/script/${enc(scriptName)}` }, `script ${scriptName}`),
      instanceName ? el('a', { href: `#/history?instance=${enc(scriptName)}/${enc(instanceName)}` }, 'history') : null,
      instanceName ? controlButtons(scriptName, instanceName, last) : null),
    el('form', { id: 'instance-form', class: 'editor columns', onsubmit: save },
      el('fieldset', {}, el('legend', {}, 'Run'),
        field('Name', f.name), field('Arguments', f.arguments, 'split like a shell splits words; nothing is expanded'),
        field('Working directory', f.workingDir), field('User', f.user, 'needs a root daemon and setpriv'),
        field('Timeout (s)', f.timeout), field('Stop grace (s)', f.grace, 'SIGTERM → SIGKILL'), field('Token role', f.role)),
      el('fieldset', {}, el('legend', {}, 'Triggers and policy'),
        field('Start trigger', el('span', { class: 'inline' }, start.type, start.setting)),
        field('Stop trigger', el('span', { class: 'inline' }, stop.type, stop.setting)),
        field('Restart', f.restartOn),
        el('div', { class: 'inline' }, Object.entries(restart).map(([k, box]) => field(k, box))),
        field('Overlap', f.overlap, 'skip or queue a start while it runs'),
        el('label', { class: 'check' }, f.catchUp, 'catch up missed schedule ticks'),
        el('label', { class: 'check' }, f.enabled, 'enabled')),
      el('fieldset', {}, el('legend', {}, 'Limits'),
        el('div', { class: 'limits' }, Object.entries(limits).map(([k, box]) => field(k, box))),
        el('small', { class: 'muted' }, 'empty: the daemon default; "unlimited": none')),
      el('fieldset', { class: 'full' }, el('legend', {}, 'Environment'),
        el('table', { class: 'grid', id: 'instance-env' }, el('thead', {}, el('tr', {}, ['Name', 'Value', 'Secret', ''].map((h) => el('th', {}, h)))), envBody),
        el('button', { type: 'button', id: 'env-add', onclick: () => envBody.append(envRow('', '')) }, 'Add variable')),
      el('div', { class: 'buttons full' }, el('button', { id: 'instance-save' }, 'Save instance'),
        instanceName ? el('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete instance') : null,
        i.updated_timestamp ? el('span', { class: 'muted' }, `updated ${timeText(i.updated_timestamp)}`) : null)));
  return null;
}
