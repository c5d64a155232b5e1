#!/usr/bin/env python3
"""A minimal scriptexecd client over the Unix socket (Python 3.8+, standard library only).

Copy this file next to your tool and use it as a module:

    from scriptexec_client import ScriptExecClient, ScriptExecError

    with ScriptExecClient() as sx:                      # default socket, or ScriptExecClient("/path/to.sock")
        print(sx.call("status")["executions"])
        page = sx.call("script_execution_get", {"pagination": {"limit": -10}})
        for e in page["executions"]:
            print(e["id"], e["script_name"], e["state"])

The wire format is JSON-RPC 2.0, one JSON message per line (NDJSON). The daemon identifies the caller by
the socket peer's Unix user (SO_PEERCRED); no token is needed. The socket is mode 0660, so the caller
must be the daemon's user (root for the systemd service) or in its group.

Run it as a script for a demo (daemon status and the last 10 executions):

    python3 scriptexec_client.py [--socket PATH]
    python3 scriptexec_client.py [--socket PATH] METHOD [PARAMS-JSON]     # any method, prints the result
"""

import itertools
import json
import os
import socket
import sys
import time

__all__ = ["ScriptExecClient", "ScriptExecError", "default_socket_path"]


def default_socket_path():
    """The socket scriptexecd uses when not told otherwise (same rules as the daemon and its CLI)."""
    if os.environ.get("SCRIPTEXEC_SOCKET"):
        return os.environ["SCRIPTEXEC_SOCKET"]
    if os.geteuid() == 0:
        return "/run/scriptexec/scriptexecd.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "scriptexec", "scriptexecd.sock")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "scriptexec", "scriptexecd.sock")


class ScriptExecError(Exception):
    """A JSON-RPC error reply: code (e.g. 1001), message, and data (e.g. {"reason": "not_found"})."""

    def __init__(self, code, message, data=None, method=None):
        prefix = f"{method}: " if method else ""
        super().__init__(f"{prefix}{message} (code {code}{', ' + json.dumps(data) if data else ''})")
        self.method = method
        self.code = code
        self.message = message
        self.data = data or {}

    @property
    def reason(self):
        """The stable reason: not_found, already_running, not_running, forbidden, capacity, conflict, ..."""
        return self.data.get("reason")


class ScriptExecClient:
    """One connection to scriptexecd's Unix socket. Not thread-safe: use one client per thread."""

    def __init__(self, path=None, timeout=30.0):
        self.path = path or default_socket_path()
        self.notifications = []  # server-sent notifications (execution_changed, execution_output) seen so far
        self._ids = itertools.count(1)
        self._buffer = b""
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(self.path)
        except OSError as e:
            self._sock.close()
            raise ConnectionError(f"cannot connect to scriptexecd at {self.path}: {e.strerror or e}") from e

    def call(self, method, params=None):
        """Calls METHOD with a params object and returns its result; raises ScriptExecError on an error reply."""
        request_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}
        self._sock.sendall(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
        while True:
            reply = self._read_message()
            if "id" not in reply:  # a notification from a subscription: keep it for the caller
                self.notifications.append(reply)
                continue
            if reply.get("id") != request_id:
                continue  # an answer to something else (cannot happen with sequential calls)
            if "error" in reply:
                error = reply["error"]
                raise ScriptExecError(error.get("code"), error.get("message"), error.get("data"), method)
            return reply.get("result")

    def next_notification(self):
        """Returns the next server notification ({"method": ..., "params": ...}), waiting up to the timeout."""
        if self.notifications:
            return self.notifications.pop(0)
        while True:
            message = self._read_message()
            if "id" not in message:
                return message

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_message(self):
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("scriptexecd closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)


def _describe_trigger(trigger):
    """manual by alice, xpath /a = 'up', scheduler @reboot, system (timeout): a system trigger has a reason, no setting."""
    if "username" in trigger:
        return f"{trigger['type']} by {trigger['username']}"
    if "reason" in trigger:
        return f"{trigger['type']} ({trigger['reason']})"
    if "setting" in trigger:
        return f"{trigger['type']} {trigger['setting']}"
    return trigger["type"]


def _format_execution(e):
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e["start_timestamp"]))
    how = _describe_trigger(e["start_trigger"])
    if "stop_trigger" in e:
        how += f", stopped: {_describe_trigger(e['stop_trigger'])}"
    if "duration" not in e:
        duration = "-"
    else:
        duration = f"{e['duration']}ms" if e["duration"] < 1000 else f"{e['duration'] / 1000:.1f}s"
    exit_code = str(e["exit_code"]) if "exit_code" in e else "-"
    name = f"{e['script_name']}/{e['instance_name']}"
    return f"{e['id']:>6}  {name:<32.32} {e['state']:<11} {exit_code:>4}  {started}  {duration:>8}  {how}"


def _demo(sx):
    status = sx.call("status")
    counts = status["executions"]
    print(f"scriptexecd {status['version']} (pid {status['pid']}, up {status['uptime_s']} s) at {sx.path}")
    print(
        f"executions: {counts['total']} total, {counts['running']} running, {counts['finished']} finished "
        f"({counts['finished_exit_zero']} ok, {counts['finished_exit_non_zero']} failed), {counts['killed']} killed"
    )
    # limit -10 without id_exclusive: the 10 newest; results always come newest first.
    executions = sx.call("script_execution_get", {"filter": {"include_outdated": True}, "pagination": {"limit": -10}})
    print()
    print(f"{'ID':>6}  {'SCRIPT/INSTANCE':<32} {'STATE':<11} {'EXIT':>4}  {'STARTED':<19}  {'DURATION':>8}  TRIGGER")
    for e in executions["executions"]:
        print(_format_execution(e))
    if not executions["executions"]:
        print("(no executions yet)")


def main(argv):
    path = None
    if len(argv) >= 2 and argv[0] == "--socket":
        path, argv = argv[1], argv[2:]
    elif argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        with ScriptExecClient(path) as sx:
            if argv:
                params = json.loads(argv[1]) if len(argv) > 1 else {}
                print(json.dumps(sx.call(argv[0], params), indent=2, ensure_ascii=False))
            else:
                _demo(sx)
    except ScriptExecError as e:
        print(f"scriptexec: {e}", file=sys.stderr)
        return 1
    except (ConnectionError, OSError, ValueError) as e:
        print(f"scriptexec: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
