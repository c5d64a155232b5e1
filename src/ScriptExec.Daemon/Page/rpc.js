// The page's one JSON-RPC connection: the WebSocket to this daemon's /rpc, logged in with `authenticate`.
// A browser cannot send an Authorization header on a WebSocket, and the token must never be in a URL, so the
// socket opens without credentials (the daemon accepts that from a browser of its own origin, for 30 s) and the
// first call presents the token.

export class RpcError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }
}

export class Rpc {
  constructor() {
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.onclose = null;
    this.identity = null;
  }

  /** Opens the socket and authenticates; resolves with {user, role}, rejects with the daemon's words. */
  async connect(token) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/rpc`);
    this.socket = socket;
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onclose = (event) => reject(new Error(
        `the daemon refused the WebSocket (close code ${event.code}): the page must be opened at the daemon's own address`));
    });
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(event);
    this.identity = await this.call('authenticate', { token });
    return this.identity;
  }

  close() {
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    this.socket = null;
    this.failPending('logged out');
  }

  get open() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  call(method, params) {
    if (!this.open) return Promise.reject(new Error('not connected to the daemon'));
    const id = this.nextId++;
    const message = { jsonrpc: '2.0', id, method };
    if (params !== undefined) message.params = params;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify(message));
    });
  }

  /** Registers a handler for a notification method (execution_changed, execution_output). */
  on(method, handler) {
    if (!this.listeners.has(method)) this.listeners.set(method, new Set());
    this.listeners.get(method).add(handler);
    return () => this.listeners.get(method).delete(handler);
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    for (const one of Array.isArray(message) ? message : [message]) {
      if (one.id !== undefined && one.id !== null && this.pending.has(one.id)) {
        const { resolve, reject } = this.pending.get(one.id);
        this.pending.delete(one.id);
        if (one.error) reject(new RpcError(one.error));
        else resolve(one.result);
      } else if (one.method) {
        for (const handler of this.listeners.get(one.method) || []) handler(one.params);
      }
    }
  }

  closed(event) {
    this.socket = null;
    this.failPending(`the connection to the daemon closed (code ${event.code})`);
    if (this.onclose) this.onclose(event);
  }

  failPending(why) {
    for (const { reject } of this.pending.values()) reject(new Error(why));
    this.pending.clear();
  }
}
