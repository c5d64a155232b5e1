#!/usr/bin/env bash
# scriptexec.sh — call scriptexecd from the shell over its Unix socket, with socat and jq.
#
# Source it to get the functions, or run it for a demo (daemon status and the last 10 executions):
#
#   . contrib/shell/scriptexec.sh
#   sx_call status | jq .executions
#   sx_call script_execution_get '{"pagination": {"limit": -5}}' | jq -r '.executions[] | "\(.id) \(.state)"'
#   sx_call script_start '{"script_name": "backup", "instance_name": "nightly"}' | jq .execution.id
#
#   bash contrib/shell/scriptexec.sh            # demo
#   bash contrib/shell/scriptexec.sh status     # any method: METHOD [PARAMS-JSON], prints the result
#
# Needs: bash, socat, jq (Debian: apt-get install socat jq).
# Settings (environment): SX_SOCKET (default: $SCRIPTEXEC_SOCKET, else the daemon's default path) and
# SX_TIMEOUT (seconds to wait for a reply, default 30).
#
# sx_call METHOD [PARAMS-JSON] prints the call's result (compact JSON) on stdout and returns 0; on an error
# reply it prints "scriptexec: METHOD: MESSAGE (code N, reason R)" on stderr and returns 1.
#
# Why not simply `echo "$request" | socat - UNIX-CONNECT:...`: when its stdin ends, socat half-closes the
# connection, and scriptexecd ends a connection whose client has stopped sending without answering what was
# still in flight. So sx_call keeps its side open until the reply line has arrived.

sx_default_socket() {
    if [ -n "${SCRIPTEXEC_SOCKET:-}" ]; then
        printf '%s\n' "$SCRIPTEXEC_SOCKET"
    elif [ "$(id -u)" = 0 ]; then
        printf '%s\n' /run/scriptexec/scriptexecd.sock
    elif [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ]; then
        printf '%s\n' "$XDG_RUNTIME_DIR/scriptexec/scriptexecd.sock"
    else
        printf '%s\n' "${XDG_DATA_HOME:-$HOME/.local/share}/scriptexec/scriptexecd.sock"
    fi
}

: "${SX_SOCKET:=$(sx_default_socket)}"
: "${SX_TIMEOUT:=30}"

# sx_raw REQUEST-JSON: sends one JSON-RPC message (or batch) and prints the one reply line.
sx_raw() {
    local request=$1 reply='' in out pid status=0
    if [ ! -S "$SX_SOCKET" ]; then
        echo "scriptexec: no socket at $SX_SOCKET (is scriptexecd running? set SX_SOCKET)" >&2
        return 2
    fi
    coproc SX_PEER { exec socat - "UNIX-CONNECT:$SX_SOCKET"; }
    in=${SX_PEER[0]} out=${SX_PEER[1]} pid=$SX_PEER_PID
    printf '%s\n' "$request" >&"$out"
    IFS= read -r -t "$SX_TIMEOUT" reply <&"$in" || status=$?
    exec {out}>&- {in}<&-
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ "$status" -ne 0 ] || [ -z "$reply" ]; then
        echo "scriptexec: no reply from $SX_SOCKET within ${SX_TIMEOUT}s" >&2
        return 2
    fi
    printf '%s\n' "$reply"
}

# sx_call METHOD [PARAMS-JSON]: calls METHOD and prints its result.
sx_call() {
    local method=$1 params=${2:-'{}'} request reply
    request=$(jq -cn --arg method "$method" --argjson params "$params" \
        '{jsonrpc: "2.0", id: 1, method: $method, params: $params}') || {
        echo "scriptexec: params for $method are not valid JSON: $params" >&2
        return 2
    }
    reply=$(sx_raw "$request") || return
    if jq -e 'has("error")' <<<"$reply" >/dev/null; then
        jq -r --arg method "$method" \
            '"scriptexec: \($method): \(.error.message) (code \(.error.code)\(if .error.data.reason then ", reason \(.error.data.reason)" else "" end)\(if .error.data.field then ", field \(.error.data.field)" else "" end))"' \
            <<<"$reply" >&2
        return 1
    fi
    jq -c '.result' <<<"$reply"
}

# sx_script_set NAME FILE [DESCRIPTION]: stores FILE's content as script NAME; prints its version.
sx_script_set() {
    local params
    params=$(jq -n --arg name "$1" --rawfile source "$2" --arg description "${3:-}" \
        '{name: $name, source: $source} + (if $description == "" then {} else {description: $description} end)') || return 2
    sx_call script_set "$params" | jq -r .version
}

# sx_instance_set SCRIPT INSTANCE [ARGUMENTS]: a manually started instance of SCRIPT.
sx_instance_set() {
    local params
    params=$(jq -n --arg s "$1" --arg i "$2" --arg a "${3:-}" \
        '{script_name: $s, instance_name: $i, start_trigger: {type: "manual"}} + (if $a == "" then {} else {arguments: $a} end)')
    sx_call script_instance_set "$params" >/dev/null
}

# sx_start SCRIPT INSTANCE: starts it; prints the new execution's id.
sx_start() {
    sx_call script_start "$(jq -nc --arg s "$1" --arg i "$2" '{script_name: $s, instance_name: $i}')" | jq -r .execution.id
}

# sx_stop SCRIPT INSTANCE [force]: stops it (force: SIGKILL at once); prints the execution's state.
sx_stop() {
    sx_call script_stop "$(jq -nc --arg s "$1" --arg i "$2" --arg f "${3:-}" \
        '{script_name: $s, instance_name: $i} + (if $f == "force" then {force: true} else {} end)')" | jq -r .execution.state
}

# sx_execution ID: prints that execution (JSON), whether or not it is outdated.
sx_execution() {
    local page
    page=$(sx_call script_execution_get "$(jq -nc --argjson id "$1" \
        '{filter: {include_outdated: true}, pagination: {limit: 1, id_exclusive: ($id - 1)}}')") || return
    jq -ec --argjson id "$1" '.executions[] | select(.id == $id)' <<<"$page" || {
        echo "scriptexec: execution $1 does not exist" >&2
        return 1
    }
}

# sx_wait ID [TIMEOUT-S]: waits until execution ID has ended; prints it (JSON). Returns 1 on timeout.
sx_wait() {
    local id=$1 deadline=$((SECONDS + ${2:-60})) execution
    while :; do
        execution=$(sx_execution "$id") || return
        case $(jq -r .state <<<"$execution") in
            finished | killed) printf '%s\n' "$execution"; return 0 ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "scriptexec: execution $id still $(jq -r .state <<<"$execution") after ${2:-60}s" >&2
            return 1
        fi
        sleep 0.2
    done
}

# sx_output ID: prints the execution's captured output (stdout and stderr, in arrival order).
sx_output() {
    local id=$1 after=0 page count
    while :; do
        page=$(sx_call script_execution_output_get "$(jq -nc --argjson id "$id" --argjson after "$after" \
            '{filter: {execution_id: $id}, pagination: {limit: 1000, id_exclusive: $after}}')") || return
        jq -r '.lines[].content' <<<"$page"
        count=$(jq '.lines | length' <<<"$page")
        [ "$count" -lt 1000 ] && return 0
        after=$(jq '.lines[-1].id' <<<"$page")
    done
}

# sx_executions [LIMIT]: prints the newest LIMIT executions (default 10) as a table.
sx_executions() {
    sx_call script_execution_get "$(jq -nc --argjson limit "${1:-10}" \
        '{filter: {include_outdated: true}, pagination: {limit: (-$limit)}}')" |
        jq -r '
            def left($n): tostring | .[0:$n] | . + " " * ($n - length);
            def right($n): tostring | " " * ($n - length) + .;
            def row: [(.[0] | right(6)), (.[1] | left(32)), (.[2] | left(11)), (.[3] | right(4)), (.[4] | left(19)), (.[5] | right(8))] | join("  ");
            (["ID", "SCRIPT/INSTANCE", "STATE", "EXIT", "STARTED (UTC)", "DURATION"] | row),
            (.executions[] | [
                .id,
                "\(.script_name)/\(.instance_name)",
                .state,
                (.exit_code // "-"),
                (.start_timestamp | strftime("%Y-%m-%d %H:%M:%S")),
                (if .duration == null then "-" elif .duration < 1000 then "\(.duration)ms" else "\(.duration / 100 | floor / 10)s" end)
            ] | row)'
}

sx_demo() {
    local status
    status=$(sx_call status) || return
    jq -r '"scriptexecd \(.version) (pid \(.pid), up \(.uptime_s) s)",
           "executions: \(.executions.total) total, \(.executions.running) running, \(.executions.finished) finished (\(.executions.finished_exit_zero) ok, \(.executions.finished_exit_non_zero) failed), \(.executions.killed) killed"' \
        <<<"$status"
    echo
    sx_executions 10
}

# Run directly: the demo, or one call.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    for tool in socat jq; do
        command -v "$tool" >/dev/null || { echo "scriptexec: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
    done
    if [ $# -gt 0 ]; then
        sx_call "$1" "${2:-"{}"}" | jq .
        exit "${PIPESTATUS[0]}"
    fi
    sx_demo
fi
