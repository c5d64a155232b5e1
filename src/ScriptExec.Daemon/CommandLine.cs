namespace ScriptExec.Daemon;

/// <summary>Parses scriptexecd's command line strictly: an unknown switch is an error, not silently ignored.</summary>
internal static class CommandLine
{
    public const string Usage = """
        usage: scriptexecd [--data-dir DIR] [--socket PATH] [--listen URL|none] [--config FILE]
                           [--max-message-bytes N] [--max-concurrent-executions N]
                           [--output-budget-bytes-per-s N] [--output-budget-lines-per-s N]

          --data-dir DIR   SQLite store, script files and admin.token (default: ~/.local/share/scriptexec,
                           /var/lib/scriptexec as root)
          --socket PATH    Unix socket (default: $XDG_RUNTIME_DIR/scriptexec/scriptexecd.sock, or in the data dir;
                           /run/scriptexec/scriptexecd.sock as root)
          --listen URL     WebSocket endpoint base, served at URL/rpc (default: http://127.0.0.1:8765); 'none' disables it
          --config FILE    JSON file with the same keys in snake_case (data_dir, socket, listen, ...)
          --output-budget-bytes-per-s N, --output-budget-lines-per-s N
                           captured output kept over all scripts (default 20480 and 1000; 0 turns one off)

        Every key can also be set in the environment as SCRIPTEXEC_<KEY>, e.g. SCRIPTEXEC_DATA_DIR.
        """;

    /// <summary>Returns the settings given on the command line, keyed by configuration key.</summary>
    public static Dictionary<string, string?> Parse(IReadOnlyList<string> args)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string name, value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                (name, value) = (arg[..eq], arg[(eq + 1)..]);
            }
            else
            {
                name = arg;
                if (!DaemonOptions.SwitchMappings.ContainsKey(name))
                {
                    throw new OptionsException($"unknown option '{arg}'\n{Usage}");
                }

                if (i + 1 >= args.Count)
                {
                    throw new OptionsException($"option '{arg}' needs a value\n{Usage}");
                }

                value = args[++i];
            }

            if (!DaemonOptions.SwitchMappings.TryGetValue(name, out var key))
            {
                throw new OptionsException($"unknown option '{name}'\n{Usage}");
            }

            result[key] = value;
        }

        return result;
    }
}
