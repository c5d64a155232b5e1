// Small helpers shared by the views: DOM building (text only, never innerHTML), formatting, signal names.

/** Creates an element: el('td', {class: 'num'}, 'text', child, ...). Attributes starting with "on" are listeners. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'value') node.value = value;
    else if (name === 'checked') node.checked = !!value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of a node. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// Linux signal numbers (x86-64, arm, arm64, riscv share them): a killed run's exit_code is minus one of these.
const SIGNALS = ['', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP',
  'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO',
  'SIGPWR', 'SIGSYS'];

export function signalName(number) {
  return SIGNALS[number] || (number >= 34 && number <= 64 ? `SIGRTMIN+${number - 34}` : `signal ${number}`);
}

/** The exit column: the status, or for a killed run the signal's name (the wire says -15 for SIGTERM). */
export function exitText(execution) {
  if (execution.exit_code === undefined) return execution.state === 'killed' ? 'unknown' : '';
  if (execution.state === 'killed' && execution.exit_code < 0) return signalName(-execution.exit_code);
  return String(execution.exit_code);
}

export function exitTitle(execution) {
  if (execution.state === 'killed' && execution.exit_code < 0) return `killed by signal ${-execution.exit_code}`;
  if (execution.state === 'killed' && execution.exit_code === undefined) return 'recovered after a crash: its fate is unknown';
  return '';
}

const pad = (n) => String(n).padStart(2, '0');

/** Unix seconds as local "YYYY-MM-DD HH:MM:SS" (the daemon's schedules are in local time too). */
export function timeText(seconds) {
  if (seconds === undefined || seconds === null) return '';
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function durationText(ms) {
  if (ms === undefined || ms === null) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A running execution's duration: the time since it started (the daemon gives none until it ends). */
export function elapsedText(execution) {
  if (execution.duration !== undefined) return durationText(execution.duration);
  if (execution.state === 'running' || execution.state === 'terminating') {
    return durationText(Math.max(0, Date.now() - execution.start_timestamp * 1000)) + ' so far';
  }
  return '';
}

export function triggerText(trigger) {
  if (!trigger) return '';
  const parts = [trigger.type];
  if (trigger.setting !== undefined) parts.push(trigger.type === 'restart' ? `after #${trigger.setting}` : trigger.setting);
  if (trigger.username !== undefined) parts.push(`by ${trigger.username}`);
  if (trigger.reason !== undefined) parts.push(`(${trigger.reason})`);
  return parts.join(' ');
}

export function bytesText(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** The daemon's error as it words it, with its code and reason (and field) for the curious. */
export function errorText(error) {
  if (!error) return 'unknown error';
  if (error.code === undefined) return error.message || String(error);
  const data = error.data || {};
  const tail = [String(error.code), data.reason, data.field && `field ${data.field}`].filter(Boolean).join(', ');
  return `${error.message} (${tail})`;
}

export function stateClass(execution) {
  if (execution.state === 'finished' && execution.exit_code !== 0) return 'state failed';
  return `state ${execution.state}`;
}
