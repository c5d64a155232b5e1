using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ScriptExec.Benchmarks;

/// <summary>
/// supervisord (Debian package <c>supervisor</c>, installed here if missing) in a temporary directory with its own
/// configuration: one program per parallel worker running the benchmark's script, startsecs=0, autorestart=false.
/// A run is startProcess (with wait, which returns at spawn when startsecs is 0), then getProcessInfo polled every
/// millisecond until the program is EXITED: supervisord has no push notification, and its event loop only reaps a
/// child when something (here: the poll) wakes it.
/// </summary>
internal sealed class Supervisord : IAsyncDisposable
{
    private const string Binary = "/usr/bin/supervisord";
    private const int StateExited = 100;
    private const int FaultAbnormalTermination = 40;
    private static readonly int[] FailedStates = [30, 200, 1000]; // BACKOFF, FATAL, UNKNOWN

    private readonly Process _process;
    private readonly SupervisordXmlRpc _rpc;
    private int _fastExits;

    private Supervisord(Process process, SupervisordXmlRpc rpc, string version)
    {
        _process = process;
        _rpc = rpc;
        Version = version;
    }

    public string Version { get; }

    public int Pid => _process.Id;

    public static string ProgramName(int index) => string.Create(CultureInfo.InvariantCulture, $"p{index}");

    /// <summary>Null when supervisord is there (installing it if needed), else why it is not.</summary>
    public static async Task<string?> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Binary))
        {
            return null;
        }

        if (Environment.UserName != "root")
        {
            return "supervisord is not installed and installing it (apt-get install -y supervisor) needs root";
        }

        Progress.Say("  installing supervisord: apt-get install -y supervisor");
        var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        var install = await ProcessRunner.RunAsync("apt-get", ["install", "-y", "supervisor"], TimeSpan.FromMinutes(10), cancellationToken, environment);
        if (!install.Succeeded)
        {
            Progress.Say("  apt-get install failed; apt-get update and again");
            await ProcessRunner.RunAsync("apt-get", ["update"], TimeSpan.FromMinutes(10), cancellationToken, environment);
            install = await ProcessRunner.RunAsync("apt-get", ["install", "-y", "supervisor"], TimeSpan.FromMinutes(10), cancellationToken, environment);
        }

        return install.Succeeded && File.Exists(Binary)
            ? null
            : $"apt-get install -y supervisor failed (exit {install.ExitCode}): {install.Tail(4)}";
    }

    public static async Task<Supervisord> StartAsync(string directory, string scriptPath, int programs, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var socketPath = Path.Combine(directory, "supervisor.sock");
        var configPath = Path.Combine(directory, "supervisord.conf");
        await File.WriteAllTextAsync(configPath, Config(directory, socketPath, scriptPath, programs), cancellationToken);

        var versionRun = await ProcessRunner.RunAsync(Binary, ["--version"], TimeSpan.FromSeconds(30), cancellationToken);
        var info = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[] { "--nodaemon", "--configuration", configPath })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start supervisord");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var rpc = new SupervisordXmlRpc(socketPath);
        var supervisord = new Supervisord(process, rpc, versionRun.Output.Trim());
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        bool cameUp;
        try
        {
            cameUp = await Eventually.TryAsync(
                async () =>
                {
                    try
                    {
                        var state = await rpc.CallAsync("supervisor.getState", [], deadline.Token);
                        return SupervisordXmlRpc.Int(SupervisordXmlRpc.Members(state)["statecode"]) == 1;
                    }
                    catch (HttpRequestException) when (!process.HasExited)
                    {
                        // Socket not there yet.
                        return false;
                    }
                },
                TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(10),
                deadline.Token);
        }
        catch (Exception) when (deadline.IsCancellationRequested || process.HasExited)
        {
            cameUp = false;
        }

        if (!cameUp)
        {
            await supervisord.DisposeAsync();
            throw new InvalidOperationException("supervisord did not come up; see " + Path.Combine(directory, "supervisord.log"));
        }

        return supervisord;
    }

    /// <summary>startProcess calls answered ABNORMAL_TERMINATION because the script had already exited (status 0) by then.</summary>
    public int FastExits => _fastExits;

    /// <summary>Start a program and wait until supervisord has seen it exit (with status 0).</summary>
    public async Task RunOnceAsync(string program, CancellationToken cancellationToken)
    {
        try
        {
            await _rpc.CallAsync("supervisor.startProcess", [program, true], cancellationToken);
        }
        catch (SupervisordFaultException e) when (e.Code == FaultAbnormalTermination)
        {
            // startProcess reaps right after spawning; a script that already exited is EXITED, not RUNNING, and
            // "wait" then reports ABNORMAL_TERMINATION whatever its status. The poll below checks the status.
            Interlocked.Increment(ref _fastExits);
        }

        while (true)
        {
            await Task.Delay(1, cancellationToken);
            var members = SupervisordXmlRpc.Members(await _rpc.CallAsync("supervisor.getProcessInfo", [program], cancellationToken));
            var state = SupervisordXmlRpc.Int(members["state"]);
            if (state == StateExited)
            {
                var status = SupervisordXmlRpc.Int(members["exitstatus"]);
                if (status != 0)
                {
                    throw new InvalidOperationException($"supervisord program {program} exited with {status}");
                }

                return;
            }

            if (FailedStates.Contains(state))
            {
                throw new InvalidOperationException($"supervisord program {program} is in state {members["statename"].Value}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _rpc.CallAsync("supervisor.shutdown", [], quick.Token);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            // Already going down.
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _rpc.Dispose();
        _process.Dispose();
    }

    private static string Config(string directory, string socketPath, string scriptPath, int programs)
    {
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"""
            [unix_http_server]
            file={socketPath}
            chmod=0700

            [supervisord]
            logfile={Path.Combine(directory, "supervisord.log")}
            pidfile={Path.Combine(directory, "supervisord.pid")}
            childlogdir={directory}
            nodaemon=true

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            """);
        for (var i = 0; i < programs; i++)
        {
            config.Append(CultureInfo.InvariantCulture, $"""

                [program:{ProgramName(i)}]
                command={scriptPath}
                autostart=false
                autorestart=false
                startsecs=0
                startretries=0

                """);
        }

        return config.ToString();
    }
}
