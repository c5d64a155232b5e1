#!/usr/bin/env node
// A minimal scriptexecd client over the WebSocket endpoint (JSON-RPC 2.0, one message per text frame),
// using the `ws` package. Copy this folder, `npm ci`, and either run it or import ScriptExecClient:
//
//   import { ScriptExecClient } from './client.mjs';
//   const sx = await ScriptExecClient.connect({ url: 'ws://127.0.0.1:8765/rpc', token });
//   console.log(await sx.call('status'));
//   sx.on('execution_changed', (p) => console.log(p.execution.id, p.execution.state));
//   await sx.call('execution_subscribe', { output: true });
//   sx.close();
//
// Run it:
//   node client.mjs                          demo: daemon status and the last 10 executions
//   node client.mjs METHOD [PARAMS-JSON]     any method; prints the result
//   node client.mjs --watch SECONDS          prints execution_changed / execution_output notifications
//
// Settings (environment or options before the command):
//   SCRIPTEXEC_URL         --url URL          default ws://127.0.0.1:8765/rpc
//   SCRIPTEXEC_TOKEN       --token TOKEN      the bearer token; otherwise read from:
//   SCRIPTEXEC_TOKEN_FILE  --token-file FILE  default <data dir>/admin.token (/var/lib/scriptexec/admin.token
//                                             for the root daemon; ~/.local/share/scriptexec/admin.token otherwise)

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';

export const DEFAULT_URL = 'ws://127.0.0.1:8765/rpc';

/** A JSON-RPC error reply: code (e.g. 1001), message, data (e.g. { reason: 'not_found' }). */
export class ScriptExecError extends Error {
  constructor(error, method) {
    super(`${method ? `${method}: ` : ''}${error.message} (code ${error.code}${error.data ? `, ${JSON.stringify(error.data)}` : ''})`);
    this.name = 'ScriptExecError';
    this.method = method;
    this.code = error.code;
    this.data = error.data ?? {};
    this.reason = this.data.reason;
  }
}

/** The token file the daemon writes when no token is configured. */
export function defaultTokenFile() {
  if (process.env.SCRIPTEXEC_TOKEN_FILE) return process.env.SCRIPTEXEC_TOKEN_FILE;
  if (process.env.SCRIPTEXEC_DATA_DIR) return join(process.env.SCRIPTEXEC_DATA_DIR, 'admin.token');
  if (process.getuid?.() === 0) return '/var/lib/scriptexec/admin.token';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'scriptexec', 'admin.token');
}

/**
 * One WebSocket connection to scriptexecd. Calls may overlap; replies are matched by id.
 * Server notifications are emitted twice: as 'notification' (method, params) and under their own method name.
 */
export class ScriptExecClient extends EventEmitter {
  #ws;
  #nextId = 1;
  #pending = new Map();

  constructor(ws) {
    super();
    this.#ws = ws;
    ws.on('message', (data, isBinary) => this.#receive(isBinary ? null : data.toString('utf8')));
    ws.on('close', (code, reason) => {
      const error = new Error(`connection closed (${code}${reason.length ? `: ${reason}` : ''})`);
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
      this.emit('close', code);
    });
    ws.on('error', (error) => this.emit('connection-error', error));
  }

  /** Opens the connection; rejects with a readable message on a refused upgrade (401 token, 403 origin). */
  static connect({ url = DEFAULT_URL, token, timeoutMs = 10_000 } = {}) {
    return new Promise((resolve, reject) => {
      // Node sends no Origin header, so the daemon's Origin check does not apply; browsers use ?access_token=.
      const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs });
      ws.once('open', () => resolve(new ScriptExecClient(ws)));
      ws.once('unexpected-response', (_request, response) => {
        const hint = { 401: 'the token was refused', 403: 'the Origin was refused' }[response.statusCode] ?? 'upgrade refused';
        reject(new Error(`${url}: HTTP ${response.statusCode}: ${hint}`));
        ws.terminate();
      });
      ws.once('error', (error) => reject(new Error(`${url}: ${error.message}`)));
    });
  }

  /** Calls a method with a params object; resolves to its result, rejects with ScriptExecError. */
  call(method, params = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }), (error) => {
        if (error) {
          this.#pending.delete(id);
          reject(error);
        }
      });
    });
  }

  close() {
    this.#ws.close(1000);
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.emit('connection-error', new Error(`not JSON from the daemon: ${String(text).slice(0, 200)}`));
      return;
    }
    for (const m of Array.isArray(message) ? message : [message]) {
      if (m.id === undefined && m.method) {
        this.emit('notification', m.method, m.params);
        this.emit(m.method, m.params);
        continue;
      }
      const pending = this.#pending.get(m.id);
      if (!pending) continue;
      this.#pending.delete(m.id);
      if (m.error) pending.reject(new ScriptExecError(m.error, pending.method));
      else pending.resolve(m.result);
    }
  }
}

// manual by alice, xpath /a = 'up', scheduler @reboot, system (timeout): a system trigger has a reason, no setting.
function describeTrigger(t) {
  if (t.username) return `${t.type} by ${t.username}`;
  if (t.reason) return `${t.type} (${t.reason})`;
  if (t.setting) return `${t.type} ${t.setting}`;
  return t.type;
}

function formatExecution(e) {
  const started = new Date(e.start_timestamp * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const duration = e.duration === undefined ? '-' : e.duration < 1000 ? `${e.duration}ms` : `${(e.duration / 1000).toFixed(1)}s`;
  const trigger = describeTrigger(e.start_trigger) + (e.stop_trigger ? `, stopped: ${describeTrigger(e.stop_trigger)}` : '');
  return [
    String(e.id).padStart(6),
    `${e.script_name}/${e.instance_name}`.slice(0, 32).padEnd(32),
    e.state.padEnd(11),
    String(e.exit_code ?? '-').padStart(4),
    started,
    duration.padStart(8),
    trigger,
  ].join('  ');
}

async function demo(sx, url) {
  const status = await sx.call('status');
  const c = status.executions;
  console.log(`scriptexecd ${status.version} (pid ${status.pid}, up ${status.uptime_s} s) at ${url}`);
  console.log(`executions: ${c.total} total, ${c.running} running, ${c.finished} finished `
    + `(${c.finished_exit_zero} ok, ${c.finished_exit_non_zero} failed), ${c.killed} killed`);
  // limit -10 without id_exclusive: the 10 newest; results always come newest first.
  const { executions } = await sx.call('script_execution_get', { filter: { include_outdated: true }, pagination: { limit: -10 } });
  console.log();
  console.log(['ID'.padStart(6), 'SCRIPT/INSTANCE'.padEnd(32), 'STATE'.padEnd(11), 'EXIT', 'STARTED (UTC)'.padEnd(19),
    'DURATION', 'TRIGGER'].join('  '));
  for (const e of executions) console.log(formatExecution(e));
  if (executions.length === 0) console.log('(no executions yet)');
}

async function watch(sx, seconds) {
  sx.on('execution_changed', ({ execution: e, dropped }) => {
    console.log(`execution ${e.id} ${e.script_name}/${e.instance_name}: ${e.state}`
      + `${e.exit_code !== undefined ? ` (exit ${e.exit_code})` : ''}${dropped ? ` [${dropped} notifications dropped]` : ''}`);
  });
  sx.on('execution_output', ({ execution_id: id, lines }) => {
    for (const line of lines) console.log(`execution ${id} ${line.stream}: ${line.content}`);
  });
  const { subscription_id: subscription } = await sx.call('execution_subscribe', { output: true });
  console.log(`subscribed (${subscription}); watching for ${seconds} s`);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await sx.call('execution_unsubscribe', { subscription_id: subscription });
}

async function main(argv) {
  const options = { url: process.env.SCRIPTEXEC_URL || DEFAULT_URL, token: process.env.SCRIPTEXEC_TOKEN, tokenFile: null };
  const args = [...argv];
  let watchSeconds = null;
  while (args[0]?.startsWith('--')) {
    const [flag, value] = [args.shift(), args.shift()];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--url') options.url = value;
    else if (flag === '--token') options.token = value;
    else if (flag === '--token-file') options.tokenFile = value;
    else if (flag === '--watch') watchSeconds = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  if (!options.token || options.tokenFile) {
    const file = options.tokenFile ?? defaultTokenFile();
    try {
      options.token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`cannot read the token from ${file} (${error.code ?? error.message}); set SCRIPTEXEC_TOKEN or --token-file`);
    }
  }

  const sx = await ScriptExecClient.connect(options);
  try {
    if (watchSeconds !== null) await watch(sx, watchSeconds);
    else if (args.length > 0) console.log(JSON.stringify(await sx.call(args[0], args[1] ? JSON.parse(args[1]) : {}), null, 2));
    else await demo(sx, options.url);
  } finally {
    sx.close();
  }
}

// Run as a program (not when imported).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`scriptexec: ${error.message}`);
    process.exitCode = 1;
  });
}
