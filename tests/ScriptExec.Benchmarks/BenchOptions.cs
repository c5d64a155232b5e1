using System.Globalization;

namespace ScriptExec.Benchmarks;

/// <summary>The command line, and the sizes of every benchmark for the full and the --quick mode.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/ScriptExec.Benchmarks -- [options]

          --quick          small sizes (20k-row store, 200 runs, 20 MB output, 8 clients), about 30-60 s; for CI
          --out FILE       also write the JSON report to FILE
          --explain        only print EXPLAIN QUERY PLAN of every script_execution_get shape (10k-row store) and exit
          --daemon DLL     benchmark this scriptexecd.dll instead of src/ScriptExec.Daemon/bin/Release/net10.0/
          --native EXE     the native scriptexecd to benchmark beside the JIT build (default: the output of
                           dotnet publish src/ScriptExec.Daemon -r linux-x64 -c Release, if it is NativeAOT;
                           missing: its figures are reported as "not built")
          --native-cli EXE the native scriptexec CLI (default: src/ScriptExec.Cli/bin/Release/net10.0/linux-x64/publish/)
          --no-native      benchmark the JIT build only
          --no-supervisord skip the supervisord baseline (reported as unavailable)
          --fail-on-miss   exit 3 when a target is missed (default: report only)
          --keep           keep the temporary directory (stores, logs) and print its path
          --only SECTIONS  run these sections (comma-separated): footprint, startup, query_latency,
                           work_daemon, subscriber_flood, output_budget, fleet
          --flood-rounds N rounds of the subscriber flood variants (default 3, --quick 1)
          --fleet-devices N daemons in the fleet section, on one local Mosquitto (default 50, --quick 10)
        """;

    public bool Quick { get; init; }

    public bool Explain { get; init; }

    public string? OutPath { get; init; }

    public string? DaemonDll { get; init; }

    public bool SkipSupervisord { get; init; }

    public string? NativeDaemon { get; init; }

    public string? NativeCli { get; init; }

    public bool SkipNative { get; init; }

    public bool FailOnMiss { get; init; }

    public bool Keep { get; init; }

    public bool ShowHelp { get; init; }

    /// <summary>The sections to run, comma-separated (null: all).</summary>
    public string? Only { get; init; }

    public bool Runs(string section) => Only is null || Only.Split(',', StringSplitOptions.TrimEntries).Contains(section, StringComparer.Ordinal);

    public string Mode => Quick ? "quick" : "full";

    /// <summary>Executions in the large store (the 1M figure).</summary>
    public int LargeStoreRows => Quick ? 20_000 : 1_000_000;

    /// <summary>Executions in the small store, the scaling baseline.</summary>
    public int SmallStoreRows { get; init; } = 10_000;

    /// <summary>Timed calls per query shape, per store and per path (RPC, raw SQL).</summary>
    public int QueryIterations => Quick ? 200 : 2_000;

    public int QueryWarmup => Quick ? 50 : 300;

    /// <summary>Lines one run of the output budget's flooding script prints (about 50 bytes each).</summary>
    public int FloodLines => Quick ? 100_000 : 200_000;

    /// <summary>Timed runs of the flooding script, under the budget and to /dev/null each.</summary>
    public int FloodRuns => Quick ? 3 : 5;

    /// <summary>Runs of the short script per mode (sequential, 16 in parallel), for scriptexecd and the bare loop.</summary>
    public int ShortRuns => Quick ? 200 : 2_000;

    /// <summary>supervisord needs a poll per run to see an exit, so it gets fewer runs; the figure is a rate.</summary>
    public int SupervisordRuns => Quick ? 48 : 320;

    public int ParallelInstances { get; init; } = 16;

    public long OutputBytes => Quick ? 20_000_000 : 200_000_000;

    /// <summary>Output of the script flooded at 200 clients; 50 MB is the size the issue measured.</summary>
    public long FloodBytes => Quick ? 10_000_000 : 50_000_000;

    /// <summary>Rounds of the four client variants, interleaved; the figures are medians.</summary>
    public int FloodRounds => FloodRoundsOverride ?? (Quick ? 1 : 3);

    public int? FloodRoundsOverride { get; init; }

    /// <summary>How long after the flood memory is sampled again.</summary>
    public TimeSpan FloodSettle => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(30);

    public int StatusClients => Quick ? 8 : 64;

    public TimeSpan StatusWarmup => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2);

    public TimeSpan StatusDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(10);

    /// <summary>Timed runs of <c>scriptexec status</c> per CLI build.</summary>
    public int CliRuns => Quick ? 5 : 20;

    /// <summary>Cold starts on fresh data directories (the work daemon's start adds one more).</summary>
    public int StartupSamples => Quick ? 2 : 4;

    /// <summary>Daemons in the fleet section: 50 fit this machine's memory with room (about 35 MiB each native).</summary>
    public int FleetDevices => FleetDevicesOverride ?? (Quick ? 10 : 50);

    public int? FleetDevicesOverride { get; init; }

    /// <summary>Timed group requests, and the same fan-out over WebSockets.</summary>
    public int FleetRounds => Quick ? 20 : 100;

    /// <summary>Lines each device's script prints while the events through the broker are counted.</summary>
    public int FleetEventLines => Quick ? 100 : 1_000;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--explain" => options with { Explain = true },
                "--out" => options with { OutPath = Value(args, ref i) },
                "--daemon" => options with { DaemonDll = Path.GetFullPath(Value(args, ref i)) },
                "--no-supervisord" => options with { SkipSupervisord = true },
                "--native" => options with { NativeDaemon = Path.GetFullPath(Value(args, ref i)) },
                "--native-cli" => options with { NativeCli = Path.GetFullPath(Value(args, ref i)) },
                "--no-native" => options with { SkipNative = true },
                "--fail-on-miss" => options with { FailOnMiss = true },
                "--keep" => options with { Keep = true },
                "--only" => options with { Only = Value(args, ref i) },
                "--fleet-devices" => options with { FleetDevicesOverride = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) },
                "--flood-rounds" => options with { FloodRoundsOverride = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) },
                "--help" or "-h" => options with { ShowHelp = true },
                _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"unknown option '{args[i]}'")),
            };
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        i + 1 < args.Count ? args[++i] : throw new ArgumentException($"option '{args[i]}' needs a value");
}
