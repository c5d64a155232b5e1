#!/usr/bin/env node
// Test helper for contrib/test-contrib.sh: opens a page in headless Chromium and prints its DOM once a
// JavaScript condition holds (or the time is up), over the DevTools protocol.
//
//   node contrib/test/headless-dom.mjs URL CONDITION [TIMEOUT-MS]
//
// Why not `chromium --dump-dom --virtual-time-budget=N`: virtual time does not wait for WebSocket traffic,
// so the dump is taken before the page has talked to the daemon, or not, depending on timing.
// SCREENSHOT=file.png in the environment also saves a PNG of the page. ACTION=expression is evaluated (again
// until it returns true, within the same time) before CONDITION is waited for: e.g. typing a token and logging in.
// Exit status: 0 when CONDITION became true, 1 when it did not in time, 2 on a setup failure. The page's
// console messages and uncaught exceptions go to stderr. Needs `npm ci` in contrib/node (for ws).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../node/package.json', import.meta.url));
const WebSocket = require('ws');

const [url, condition, timeoutArg] = process.argv.slice(2);
if (!url || !condition) {
  console.error('usage: headless-dom.mjs URL CONDITION [TIMEOUT-MS]');
  process.exit(2);
}
const timeoutMs = Number(timeoutArg ?? 20000);
const chromium = process.env.CHROMIUM ?? 'chromium';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const profile = mkdtempSync(join(tmpdir(), 'scriptexec-chromium-'));
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
  '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });  // its own process group: its helpers end with it
let browserLog = '';
browser.stderr.on('data', (chunk) => { browserLog += chunk; });

async function cleanup() {
  if (browser.exitCode === null && browser.signalCode === null) {
    const exited = new Promise((resolve) => browser.once('exit', resolve));
    try { process.kill(-browser.pid, 'SIGKILL'); } catch { browser.kill('SIGKILL'); }
    await Promise.race([exited, sleep(5000)]);
  }
  rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

async function devtoolsPort() {
  // Chromium writes the port it chose into DevToolsActivePort in the profile.
  for (const deadline = Date.now() + 20000; Date.now() < deadline; await sleep(100)) {
    if (browser.exitCode !== null) break;
    try {
      const port = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
      if (port) return Number(port);
    } catch { /* not yet */ }
  }
  throw new Error(`chromium did not start its DevTools endpoint:\n${browserLog.slice(-2000)}`);
}

async function main() {
  const port = await devtoolsPort();
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = targets.find((t) => t.type === 'page');
  if (!page) throw new Error('chromium has no page target');

  const cdp = new WebSocket(page.webSocketDebuggerUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { cdp.once('open', resolve); cdp.once('error', reject); });
  let nextId = 1;
  const pending = new Map();
  cdp.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${m.error.message}`));
      else p?.resolve(m.result);
    } else if (m.method === 'Runtime.consoleAPICalled') {
      console.error(`page console.${m.params.type}: ${m.params.args.map((a) => a.value ?? a.description).join(' ')}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      console.error(`page exception: ${m.params.exceptionDetails.exception?.description ?? m.params.exceptionDetails.text}`);
    }
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    cdp.send(JSON.stringify({ id, method, params }));
  });
  const evaluate = async (expression) => (await send('Runtime.evaluate', { expression, returnByValue: true })).result.value;

  await send('Runtime.enable');
  await send('Page.enable');
  await send('Page.navigate', { url });

  let met = false;
  const deadline = Date.now() + timeoutMs;
  if (process.env.ACTION) {
    let done = false;
    for (; !done && Date.now() < deadline; await sleep(200)) {
      try { done = (await evaluate(`Boolean(${process.env.ACTION})`)) === true; } catch { /* navigating */ }
    }
    if (!done) console.error(`action did not succeed within ${timeoutMs} ms: ${process.env.ACTION}`);
  }
  for (; Date.now() < deadline; await sleep(200)) {
    try {
      if (await evaluate(`Boolean(${condition})`)) { met = true; break; }
    } catch { /* navigating */ }
  }
  process.stdout.write(await evaluate('document.documentElement.outerHTML') + '\n');
  if (process.env.SCREENSHOT) {
    await send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 700, deviceScaleFactor: 1, mobile: false });
    const { data } = await send('Page.captureScreenshot', { format: 'png' });
    writeFileSync(process.env.SCREENSHOT, Buffer.from(data, 'base64'));
  }
  cdp.close();
  if (!met) console.error(`condition not met within ${timeoutMs} ms: ${condition}`);
  return met ? 0 : 1;
}

const code = await main().catch((error) => { console.error(`headless-dom: ${error.message}`); return 2; });
await cleanup();
process.exit(code);
