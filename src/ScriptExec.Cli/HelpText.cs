namespace ScriptExec.Cli;

/// <summary>The <c>--help</c> text: every command, option and exit code on one screenful or two.</summary>
internal static class HelpText
{
    public const string Text = """
        usage: scriptexec [GLOBAL OPTIONS] COMMAND [ARGS]

        Talks to scriptexecd, the script-execution daemon, over its Unix socket (default) or its WebSocket.

        Commands:
          status                                 daemon health and execution counts
          scripts                                scripts and instances with their last execution
          script set NAME FILE [--description TEXT]
                                                 store a script's source (FILE '-' reads standard input)
          script get NAME                        print a script's source
          script delete NAME                     delete a script (refused while an instance runs)
          instance set SCRIPT INSTANCE [OPTIONS] create or replace an instance (the whole configuration):
              --args "ARGS"                      arguments, split like a shell does (no shell is run)
              --env NAME=VALUE                   environment variable (repeatable)
              --workdir DIR                      working directory (absolute, on the daemon's machine)
              --user USER                        run as USER (the daemon must run as root)
              --timeout S                        stop the run after S seconds
              --grace S                          seconds between SIGTERM and SIGKILL on stop (default 10)
              --start-trigger manual|xpath:SETTING|scheduler:CRON|scheduler:@reboot   (default manual)
              --stop-trigger manual|xpath:SETTING
              --secret-env NAME=VALUE            environment variable stored apart, shown masked (repeatable)
              --role viewer|operator|admin       what the run's own token may do (default operator)
              --limit NAME=N|unlimited           resource limit of each run (repeatable): cpu_s, address_space_mb,
                                                 data_mb, file_size_mb, open_files, processes, stack_mb, nice;
                                                 in the run's cgroup: memory_mb, pids, cpu_percent
              --restart on-failure|always|no     start again when a run ends by itself (default no), after
              --restart-delay S                  S seconds (default 1), doubling per restart up to
              --restart-max-delay S              S seconds (60); give up after
              --restart-max N                    N restarts (5)
              --restart-window S                 within S seconds (300)
              --overlap skip|queue               a trigger firing while it runs: ignored or run after (skip)
              --catch-up                         run once at daemon start for schedule ticks missed while down
              --enabled, --disabled              create or keep it enabled / paused (default: as it was; new: enabled)
          instance get SCRIPT INSTANCE           an instance's configuration, policy, next start and last run
          instance delete SCRIPT INSTANCE        delete an instance
          start SCRIPT INSTANCE [--args "ARGS"] [--wait]
                                                 start a run and print its execution id; --wait waits for
                                                 its end and exits with the script's status (see below)
          stop SCRIPT INSTANCE [--force]         stop the running execution (SIGTERM, then SIGKILL after the
                                                 grace period; --force: SIGKILL at once)
          restart SCRIPT INSTANCE                stop the running execution, wait for its end, start again
                                                 (just start when none runs); prints the new execution id
          enable SCRIPT INSTANCE                 let the instance's triggers fire and starts be accepted
          disable SCRIPT INSTANCE                pause it: triggers silent, starts refused; a run goes on
          rerun ID [--wait]                      run execution ID's instance again with the same arguments
          executions [FILTERS] [--limit N] [--after-id ID]
                                                 execution history, newest first (20 by default); a running
                                                 run's DURATION is the time so far (12s…); a note on stderr
                                                 when runs of an earlier script version are hidden
              --script S [--instance I]...       only these scripts / instances (repeatable)
              --state running|terminating|finished|killed   (repeatable)
              --exit-code N                      (repeatable)
              --outdated                         include runs of since-changed scripts (marked *)
              --since TIME, --until TIME         start time window (half-open), as journalctl reads it: now,
                                                 today, yesterday, tomorrow, -1h, 1h, '2 days ago', +30min,
                                                 '2026-11-29 10:00[:00]', 2026-11-29, 10:00, 2026-11-29T10:00:00Z,
                                                 @UNIX or UNIX seconds; local time (TZ)
              --limit N                          N > 0: the N oldest (after --after-id); N < 0: the |N| newest
                                                 (before --after-id); default -20, or 20 with --after-id
          logs ID [-n N] [-f] [--stdout|--stderr]
                                                 print an execution's output (stderr lines to stderr);
                                                 -n, --lines N: only the last N lines; -f follows it live
                                                 until the execution ends, then prints how it ended to stderr
                                                 and exits with the script's status (as start --wait)
          help                                   this text

        Global options (before or after the command):
          --socket PATH       the daemon's Unix socket (env SCRIPTEXEC_SOCKET; default as scriptexecd computes
                              it: /run/scriptexec/scriptexecd.sock for root, else
                              $XDG_RUNTIME_DIR/scriptexec/scriptexecd.sock or DATA_DIR/scriptexecd.sock)
          --url URL           use the WebSocket instead, e.g. ws://127.0.0.1:8765/rpc (env SCRIPTEXEC_URL)
          --token TOKEN       bearer token for --url (env SCRIPTEXEC_TOKEN)
          --token-file FILE   read the token from FILE (default DATA_DIR/admin.token)
          --data-dir DIR      the daemon's data directory, for the defaults above (env SCRIPTEXEC_DATA_DIR;
                              default /var/lib/scriptexec for root, else ~/.local/share/scriptexec)
          --json              print the daemon's raw JSON result (logs: one JSON object per line)
          -h, --help          this text
          --version           print the version

        Exit codes:
          0    success
          1    the daemon refused: not_found, already_running, not_running, conflict, capacity, forbidden,
               unavailable (its storage is full, read-only or failing)
               (printed as "scriptexec: MESSAGE (REASON)")
          2    usage error: bad flags or arguments, or a value the daemon rejected as invalid
          3    cannot connect to the daemon (not running, wrong socket, token refused, connection lost)
          4    protocol or internal error
          130  interrupted (Ctrl-C)
          start/rerun --wait, logs -f: the script's exit status when it finished (0-255), 128+N when it was
          killed by signal N (e.g. 137 for SIGKILL, 143 for SIGTERM), as a shell reports it

        More: docs/CLI.md.
        """;

    public static async Task<int> WriteAsync(TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(Text.AsMemory(), cancellationToken);
        return ExitCodes.Success;
    }

    public static string Version =>
        "scriptexec " + (typeof(HelpText).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
}
